import Foundation
import Indexer
import Testing

/// Application terms select every packet of the flows that carried the name; checked against
/// tshark's streams (`tcp.stream` / `udp.stream`) whose `tls.handshake.extensions_server_name`,
/// `dns.qry.name` or `http.host` has that name.
@Suite("Application terms agree with tshark")
struct ApplicationTermTests {
    struct Frame {
        var stream: String  // "t12" / "u3" / ""
        var sni: [String]
        var qname: [String]
        var host: [String]
    }

    static func tshark(_ path: String) throws -> [Frame] {
        guard let tshark = TestEnvironment.tshark else { return [] }
        let (out, err, status) = try TestEnvironment.run(tshark, [
            "-r", path, "-n", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|",
            "-e", "frame.number", "-e", "tcp.stream", "-e", "udp.stream",
            "-e", "tls.handshake.extensions_server_name", "-e", "dns.qry.name", "-e", "http.host",
        ])
        guard status == 0 else { throw Tcpdump.Failure(message: "tshark failed: \(err)") }
        var frames: [Frame] = []
        for line in String(decoding: out, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func list(_ i: Int) -> [String] { i < f.count ? f[i].split(separator: "|").map { $0.lowercased() } : [] }
            // The first value is the packet's own header; quoted headers (ICMP errors) come after.
            let tcp = list(1).first, udp = list(2).first
            frames.append(Frame(stream: tcp.map { "t" + $0 } ?? udp.map { "u" + $0 } ?? "", sni: list(3), qname: list(4),
                                host: list(5).map(withoutPort)))
        }
        return frames
    }

    /// tshark keeps `:port` in `http.host`; Vigie indexes the host alone.
    static func withoutPort(_ host: String) -> String {
        guard let colon = host.lastIndex(of: ":"), host[host.index(after: colon)...].allSatisfy(\.isNumber) else { return host }
        let name = host[..<colon]
        if name.hasPrefix("[") { return name.hasSuffix("]") ? String(name) : host }
        return name.contains(":") ? host : String(name)
    }

    /// tshark's answer for `name` in the field picked by `values`: the frames (0-based) of every
    /// stream one of whose frames carries the name.
    static func expected(_ frames: [Frame], name: String, _ values: (Frame) -> [String]) -> [Int] {
        let streams = Set(frames.filter { values($0).contains(name) && !$0.stream.isEmpty }.map(\.stream))
        return frames.indices.filter { streams.contains(frames[$0].stream) }
    }

    func check(file: String, field: String, values: @escaping (Frame) -> [String], minimumNames: Int) throws {
        guard let corpus = TestEnvironment.corpus, TestEnvironment.tshark != nil else {
            print("SKIP: corpus or tshark missing")
            return
        }
        let dir = TempDirectory("vigie-app")
        defer { dir.cleanup() }
        let pcap = TestPcap.segments(ofCaptureAt: corpus + "/" + file)[0]
        let segment = try SegmentUnderTest(pcap, in: dir, name: "app")
        let frames = try Self.tshark(segment.path)
        #expect(frames.count == pcap.records.count)
        let names = Set(frames.flatMap(values)).sorted()
        #expect(names.count >= minimumNames, "\(file): tshark found \(names.count) names")
        var matched = 0
        for name in names {
            let expected = Self.expected(frames, name: name, values)
            let got = try segment.vigie("\(field) \(name)")
            let same = got == expected
            #expect(same, "\(file) \(field) \(name): Vigie \(got.count) packets, tshark \(expected.count); only Vigie \(Array(Set(got).subtracting(expected)).sorted().prefix(10)), only tshark \(Array(Set(expected).subtracting(got)).sorted().prefix(10))")
            if same { matched += 1 }
        }
        print("\(file) \(field): \(matched)/\(names.count) names agree")
    }

    @Test("tls.sni over suri_tls-subjectaltname.pcap")
    func sni() throws {
        try check(file: "suri_tls-subjectaltname.pcap", field: "tls.sni", values: \.sni, minimumNames: 10)
    }

    @Test("tls.sni over zeek_smtp.pcap")
    func sniSMTP() throws {
        try check(file: "zeek_smtp.pcap", field: "tls.sni", values: \.sni, minimumNames: 0)
    }

    @Test("dns.qname over pcpp_DnsPackets.pcap")
    func dns() throws {
        try check(file: "pcpp_DnsPackets.pcap", field: "dns.qname", values: \.qname, minimumNames: 20)
    }

    @Test("http.host over zeek_http_methods.pcap (odd request lines)")
    func http() throws {
        try check(file: "zeek_http_methods.pcap", field: "http.host", values: \.host, minimumNames: 1)
    }
}

extension ApplicationTermTests {
    @Test("every application field over more mixed captures", arguments: [
        "pcpp_many-protocols.pcap", "pcpp_example.pcap", "cs_http_espn.pcapng", "suri_dns-tcp-multirequest-buffer.pcap",
        "zeek_http-vlan-0.pcap", "pcpp_raw_ip.pcap", "zeek_dns_dynamic-update.pcap", "pcpp_sll.pcap",
    ])
    func mixed(_ file: String) throws {
        try check(file: file, field: "tls.sni", values: \.sni, minimumNames: 0)
        try check(file: file, field: "dns.qname", values: \.qname, minimumNames: 0)
        try check(file: file, field: "http.host", values: \.host, minimumNames: 0)
    }
}
