import Testing
import AppProtocols

/// The index's lenient Host finder and the two named Host forms.
@Suite("HTTP request Host (lenient) and Host forms")
struct HTTPRequestHostTests {
    func host(_ text: String, _ form: HTTPHostForm = .tshark) -> String? {
        Array(text.utf8).withUnsafeBytes { p in HTTPRequestHost.find(in: p, form: form).map { $0.string(in: p) } }
    }

    @Test func requestLinesTheStrictParserRefuses() {
        // zeek_http_methods.pcap: tshark reports a Host for these, so does the index.
        for line in ["OPTIONS", "OPTIONS HTTP/1.1", "GET / HTTP/1.", "GET /HTTP/1.1", "FROB_IT-X *"] {
            #expect(host("\(line)\r\nHost: www.example.com\r\n\r\n") == "www.example.com", "\(line)")
            #expect(parseHTTP(TestBytes.ascii("\(line)\r\nHost: www.example.com\r\n\r\n")).hostName.isEmpty, "\(line)")
        }
        #expect(host("OPTIONS\nHost: a.example:81\n\n") == "a.example")  // bare LF
    }

    @Test func notARequestStart() {
        #expect(host("get / HTTP/1.1\r\nHost: a.example\r\n\r\n") == nil)  // lowercase method
        #expect(host("GE / HTTP/1.1\r\nHost: a.example\r\n\r\n") == nil)   // too short
        #expect(host("GET\t/ HTTP/1.1\r\nHost: a.example\r\n\r\n") == nil)
        #expect(host("GET / HTTP/1.1\r\nHost: a.example\r\n") != nil)
        #expect(host("GET / HTTP/1.1\r\nHost: a.example") == nil)  // Host line cut by the segment end
        #expect(host("GET / HTTP/1.1\r\n\r\nHost: a.example\r\n") == nil)  // after the header block
        #expect(host("GET /\r\nHost:") == nil)
    }

    @Test func headerLines() {
        // Lines that are not fields are skipped; an obs-fold line is not a Host; the first Host decides.
        #expect(host("GET / HTTP/1.1\r\nno colon here\r\n Host: folded\r\nhOsT:\tA.example \r\n\r\n") == "A.example")
        #expect(host("GET / HTTP/1.1\r\nHost: \r\nHost: b.example\r\n\r\n") == nil)
        #expect(host("GET / HTTP/1.1\r\nHost : a.example\r\n\r\n") == nil)
        let long = "GET / HTTP/1.1\r\nX: " + String(repeating: "x", count: HTTPRequestHost.maxScanLength) + "\r\nHost: a\r\n\r\n"
        #expect(host(long) == nil)
    }

    @Test(arguments: [
        // value, tshark form (index), messageParser form (analytics hostName)
        ("example.com:8080", "example.com", "example.com"),
        ("[FF02::C]:1900", "[FF02::C]", "FF02::C"),
        ("[::1]", "[::1]", "::1"),
        ("host:", "host:", "host"),
        ("a:b", "a:b", "a"),
        ("2001:db8::1", "2001:db8::1", "2001"),
        ("[v6]x", "[v6]x", "v6"),
        ("[a]b]:80", "[a]b]", "a"),
        ("[abc:80", "[abc:80", "[abc:80"),
        (":80", ":80", nil),
    ] as [(String, String, String?)])
    func forms(value: String, tshark: String, messageParser: String?) {
        let request = "GET / HTTP/1.1\r\nHost: \(value)\r\n\r\n"
        #expect(host(request, .tshark) == tshark)
        #expect(host(request, .messageParser) == messageParser)
        // The analytics' parser uses the messageParser form.
        #expect(parseHTTP(TestBytes.ascii(request)).hostName == (messageParser ?? ""))
    }
}
