import Testing
import AppProtocols
import VigieTestSupport

@Suite("TLS record scanner")
struct TLSParserTests {
    @Test func clientHelloWithSNIAndVersions() {
        let (status, s, sni) = scanTLS(TLSBuilder.clientHello("Www.Example.com", versions: [0x1A1A, 0x0304, 0x0303]))
        #expect(status == .ok && s.recordCount == 1 && s.firstRecord.contentType == 22)
        #expect(s.firstRecord.version == 0x0301)
        #expect(s.hasClientHello && sni == "Www.Example.com")
        #expect(s.clientLegacyVersion == 0x0303 && s.clientMaxSupportedVersion == 0x0304 && s.clientOfferedVersion == 0x0304)
    }

    @Test func helloWithoutExtensions() {
        let (status, s, sni) = scanTLS(TLSBuilder.record(22, TLSBuilder.handshake(1, TLSBuilder.clientHelloBody(version: 0x0301, extensions: nil))))
        #expect(status == .ok && s.hasClientHello && sni.isEmpty && s.clientOfferedVersion == 0x0301)
    }

    @Test func serverHelloVersions() {
        let tls13 = scanTLS(TLSBuilder.serverHello(selected: 0x0304) + TLSBuilder.record(20, version: 0x0303, [1]))
        #expect(tls13.0 == .ok && tls13.1.hasServerHello && tls13.1.serverLegacyVersion == 0x0303)
        #expect(tls13.1.serverSelectedVersion == 0x0304 && tls13.1.sawChangeCipherSpec && tls13.1.recordCount == 2)
        let tls12 = scanTLS(TLSBuilder.serverHello(version: 0x0303))
        #expect(tls12.0 == .ok && tls12.1.serverSelectedVersion == 0x0303)
    }

    @Test func alerts() {
        let plain = scanTLS(TLSBuilder.record(21, version: 0x0303, [2, 40]))
        #expect(plain.0 == .ok && plain.1.alert == .plaintext && plain.1.alertLevel == 2 && plain.1.alertDescription == 40)
        let encrypted = scanTLS(TLSBuilder.record(23, version: 0x0303, [1, 2, 3]) + TLSBuilder.record(21, version: 0x0303, Array(repeating: 0x5A, count: 26)))
        #expect(encrypted.0 == .ok && encrypted.1.alert == .encrypted && encrypted.1.sawApplicationData)
        #expect(encrypted.1.alertLevel == 0 && encrypted.1.completeLength == 5 + 3 + 5 + 26)
    }

    @Test func encryptedHandshakeAfterChangeCipherSpecIsNotParsed() {
        let finished = TLSBuilder.record(22, version: 0x0303, [1, 0xFF, 0xFF, 0xFF] + Array(repeating: 7, count: 36))
        let (status, s, _) = scanTLS(TLSBuilder.record(20, version: 0x0303, [1]) + finished)
        #expect(status == .ok && !s.hasClientHello && s.sawChangeCipherSpec)
    }

    @Test func recordCutAtEveryPoint() {
        let hello = TLSBuilder.clientHello("cut.example", versions: [0x0304])
        for cut in 1..<hello.count {
            let (status, s, sni) = scanTLS(Array(hello.prefix(cut)))
            #expect(status == .incomplete, "cut \(cut)")
            #expect(sni.isEmpty || sni == "cut.example", "cut \(cut)")
            #expect(s.completeLength == 0)
        }
    }

    // MARK: Hostile input

    @Test func notTLS() {
        #expect(scanTLS([]).0 == .empty)
        #expect(scanTLS(TestBytes.ascii("GET / HTTP/1.1\r\n")).0 == .notTLS)
        #expect(scanTLS([22, 3, 1, 0xFF, 0xFF]).0 == .notTLS)  // longer than any valid record
        #expect(scanTLS([22, 2, 0, 0, 1, 0]).0 == .notTLS)  // version 2.0 in a v3 header
        #expect(scanTLS([22, 4]).0 == .notTLS)
        #expect(scanTLS([22, 3]).0 == .incomplete)
    }

    @Test func sslv2ClientHello() {
        #expect(scanTLS([0x80, 0x2E, 0x01, 0x03, 0x01, 0x00, 0x15]).0 == .sslv2Unsupported)
    }

    @Test func badSecondRecord() {
        let (status, s, _) = scanTLS(TLSBuilder.record(23, version: 0x0303, [9, 9]) + [0x99, 3, 3, 0, 1, 0])
        #expect(status == .badRecord && s.recordCount == 1 && s.completeLength == 7)
    }

    @Test func handshakeLengthLongerThanRecord() {
        // Declares 5000 bytes inside a record that holds the whole hello: a lie or fragmentation
        // over records; either way the SNI that is present is still read and the status says
        // more was expected.
        let body = TLSBuilder.clientHelloBody(extensions: TLSBuilder.sni("frag.example"))
        let (status, s, sni) = scanTLS(TLSBuilder.record(22, TLSBuilder.handshake(1, body, declaredLength: 5000)))
        #expect(status == .incomplete && s.hasClientHello && sni == "frag.example")
    }

    @Test func recordLengthLies() {
        // Record declares 10 bytes, the handshake inside declares far more than the record.
        let (status, s, _) = scanTLS(TLSBuilder.record(22, [1, 0, 0, 200, 3, 3, 0, 0, 0, 0], declaredLength: 10) + TLSBuilder.record(21, [1, 0]))
        #expect(status == .incomplete && s.recordCount == 2 && s.alert == .plaintext)
    }

    @Test func extensionsLengthLies() {
        let body = TLSBuilder.clientHelloBody(extensions: TLSBuilder.sni("a.example"), extensionsLength: 400)
        #expect(scanTLS(TLSBuilder.record(22, TLSBuilder.handshake(1, body))).0 == .malformedHandshake)
    }

    @Test func sniListLengthLies() {
        for ext in [TLSBuilder.sni("a.example", listLength: 300), TLSBuilder.sni("a.example", nameLength: 200),
                    TLSBuilder.sni("a.example", nameLength: 0), TLSBuilder.ext(0, [0])] {
            let body = TLSBuilder.clientHelloBody(extensions: ext)
            let (status, _, sni) = scanTLS(TLSBuilder.record(22, TLSBuilder.handshake(1, body)))
            #expect(status == .malformedHandshake && sni.isEmpty)
        }
    }

    @Test func sessionIdLengthLies() {
        var body = TLSBuilder.clientHelloBody(extensions: [])
        body[34] = 0xF0  // session id length far past the message
        #expect(scanTLS(TLSBuilder.record(22, TLSBuilder.handshake(1, body))).0 == .malformedHandshake)
    }

    @Test func oddSupportedVersionsLength() {
        let body = TLSBuilder.clientHelloBody(extensions: TLSBuilder.ext(43, [3, 3, 4, 3]))
        #expect(scanTLS(TLSBuilder.record(22, TLSBuilder.handshake(1, body))).0 == .malformedHandshake)
    }
}
