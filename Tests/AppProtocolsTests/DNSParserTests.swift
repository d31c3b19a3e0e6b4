import Testing
@testable import AppProtocols
import VigieTestSupport

@Suite("DNS message parser")
struct DNSParserTests {
    @Test func queryHeaderAndQuestion() {
        let (status, s, name) = parseDNS(TestBytes.dnsQuery("WWW.Example.COM", type: 28))
        #expect(status == .ok)
        #expect(s.header.id == 0x1234 && !s.header.isResponse && s.header.recursionDesired)
        #expect(s.header.opcode == 0 && s.header.questionCount == 1)
        #expect(s.hasQuestion && name == "www.example.com")
        #expect(s.questionType == 28 && s.questionClass == 1)
        #expect(s.questionName.offset == 0 && s.questionName.length == 15)
    }

    @Test func responseFlagsAndCounts() {
        // QR, opcode 0, AA, TC, RD, RA, rcode 3 (NXDOMAIN).
        let msg = TestBytes.dnsHeader(flags: 0x8783, qd: 1, an: 2, ns: 1, ar: 1) + TestBytes.name("a.b") + [0, 1, 0, 1]
        let (status, s, name) = parseDNS(msg)
        #expect(status == .ok && name == "a.b")
        #expect(s.header.isResponse && s.header.isAuthoritative && s.header.isTruncated)
        #expect(s.header.recursionDesired && s.header.recursionAvailable && s.header.rcode == 3)
        #expect(s.answerCount == 2 && s.header.authorityCount == 1 && s.header.additionalCount == 1)
        let update = parseDNS(TestBytes.dnsHeader(flags: 0x2800, qd: 0))
        #expect(update.0 == .noQuestion && update.1.header.opcode == 5 && !update.1.hasQuestion)
    }

    @Test func rootNameIsEmpty() {
        let (status, s, name) = parseDNS(TestBytes.dnsHeader() + [0, 0, 2, 0, 1])
        #expect(status == .ok && s.hasQuestion && name.isEmpty && s.questionType == 2)
    }

    @Test func pointerIntoHeaderRejected() {
        // The first question starts at 12: nothing before it can be a name, so any pointer in it
        // (here into the header) is invalid.
        let intoHeader = TestBytes.dnsHeader() + [3, 0x77, 0x77, 0x77, 0xC0, 0x04] + [0, 1, 0, 1]
        #expect(parseDNS(intoHeader).0 == .badPointer)
    }

    @Test func tcpFramingIteratesMessages() {
        let a = TestBytes.dnsQuery("a.example")
        let b = TestBytes.dnsQuery("b.example", type: 16)
        let segment = TestBytes.be16(a.count) + a + TestBytes.be16(b.count) + b + TestBytes.be16(40) + [0x12]
        var names: [String] = []
        var statuses: [DNSParseStatus] = []
        var offset = 0
        while offset < segment.count {
            let (status, s, name) = parseDNS(Array(segment[offset...]), tcp: true)
            statuses.append(status)
            if s.hasQuestion { names.append(name) }
            guard status.hasHeader || status == .tcpMessageIncomplete, s.tcpFrameLength > 0 else { break }
            offset += s.tcpFrameLength
        }
        #expect(names == ["a.example", "b.example"])
        #expect(statuses == [.ok, .ok, .tcpMessageIncomplete])
        #expect(parseDNS([0x00], tcp: true).0 == .tcpLengthIncomplete)
        // Length prefix larger than the segment but the question is complete: fields are filled.
        let (s2, sum2, n2) = parseDNS(TestBytes.be16(a.count + 100) + a, tcp: true)
        #expect(s2 == .tcpMessageIncomplete && sum2.hasQuestion && n2 == "a.example" && sum2.messageLength == a.count + 100)
    }

    // MARK: Hostile input

    @Test(arguments: [0, 1, 5, 11])
    func shortPayloads(length: Int) {
        let bytes = Array(TestBytes.dnsQuery("example.com").prefix(length))
        let (status, s, _) = parseDNS(bytes)
        #expect(status == .tooShort && !s.hasQuestion && s.header == DNSHeader())
    }

    @Test func compressionSelfPointer() {
        #expect(parseDNS(TestBytes.dnsHeader() + [0xC0, 12, 0, 1, 0, 1]).0 == .badPointer)
    }

    @Test func compressionTwoPointerCycle() {
        // 12: label "a", pointer to 18; 18: label "b", pointer back to 12. The first pointer goes
        // forward; a cycle needs at least one forward jump, so it is rejected either way.
        let msg = TestBytes.dnsHeader() + [1, 0x61, 0xC0, 16, 1, 0x62, 0xC0, 12, 0, 1, 0, 1]
        #expect(parseDNS(msg).0 == .badPointer)
    }

    @Test func backwardPointerIntoSameSegmentLoops() {
        // Label "a" at 12 then a pointer at 14 back to 12: backwards in the message but into the
        // segment being read, so following it would loop forever.
        let msg = TestBytes.dnsHeader() + [1, 0x61, 0xC0, 12, 0, 1, 0, 1]
        #expect(parseDNS(msg).0 == .badPointer)
    }

    @Test func forwardPointer() {
        let msg = TestBytes.dnsHeader() + [0xC0, 20, 0, 1, 0, 1] + TestBytes.name("x")
        #expect(parseDNS(msg).0 == .badPointer)
    }

    @Test func pointerCutInHalf() {
        #expect(parseDNS(TestBytes.dnsHeader() + [1, 0x61, 0xC0]).0 == .questionTruncated)
    }

    @Test func labelRunsPastEnd() {
        #expect(parseDNS(TestBytes.dnsHeader() + [10, 0x61, 0x62]).0 == .questionTruncated)
        #expect(parseDNS(TestBytes.dnsHeader() + [1, 0x61]).0 == .questionTruncated)  // no root byte
        #expect(parseDNS(TestBytes.dnsHeader() + TestBytes.name("a") + [0, 1, 0]).0 == .questionTruncated)
    }

    @Test func reservedLabelTypes() {
        #expect(parseDNS(TestBytes.dnsHeader() + [0x41, 0, 0, 1, 0, 1]).0 == .badLabelType)
        #expect(parseDNS(TestBytes.dnsHeader() + [0x80, 0, 0, 1, 0, 1]).0 == .badLabelType)
    }

    @Test func nameLongerThan255() {
        // 5 labels of 63 bytes = 320 wire bytes.
        let long = Array(repeating: String(repeating: "a", count: 63), count: 5).joined(separator: ".")
        let (status, s, _) = parseDNS(TestBytes.dnsQuery(long))
        #expect(status == .nameTooLong && !s.hasQuestion)
        // 4 x 63 + 4 length bytes + root = 257 > 255; 3 x 63 + 61 fits exactly (255).
        let limit = Array(repeating: String(repeating: "b", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "c", count: 61)
        let ok = parseDNS(TestBytes.dnsQuery(limit))
        #expect(ok.0 == .ok && ok.2.utf8.count == 253)
    }

    @Test func nameBufferTooSmall() {
        #expect(parseDNS(TestBytes.dnsQuery("abcdef.example"), bufferSize: 8).0 == .nameBufferTooSmall)
        #expect(parseDNS(TestBytes.dnsQuery("abc.de"), bufferSize: 6).0 == .ok)
    }

    // The first question can never be compressed (nothing precedes it), so the pointer-following
    // path is exercised on names later in a message through the internal reader.

    @Test func backwardPointersAreFollowed() {
        // 12: "example.com"; 25: "www" + ptr 12; 31: "a" + ptr 25 → "a.www.example.com".
        let msg = TestBytes.dnsHeader() + TestBytes.name("example.com") + [3, 0x77, 0x77, 0x77, 0xC0, 12] + [1, 0x61, 0xC0, 25]
        let r = readName(msg, at: 31)
        #expect(r.status == .ok && r.text == "a.www.example.com" && r.end == 35)
    }

    @Test func pointerToLaterSegmentStartRejected() {
        // 12: "x" + ptr 25 (forward); 25: "y" + root. The reader at 27 points to 12, which then
        // jumps forward to 25 > 12: rejected although the first jump was backwards.
        let msg = TestBytes.dnsHeader() + [1, 0x78, 0xC0, 25] + Array(repeating: 0, count: 9) + [1, 0x79, 0] + [0xC0, 12]
        #expect(readName(msg, at: 28).status == .badPointer)
    }

    @Test func pointerJumpLimit() {
        // 12: root; then 40 pointers, each to the previous one: strictly descending, so only the
        // jump bound stops the chain.
        var msg = TestBytes.dnsHeader() + [0]
        var previous = 12
        for _ in 0..<40 {
            let here = msg.count
            msg += [0xC0, UInt8(previous)]
            previous = here
        }
        #expect(readName(msg, at: previous).status == .tooManyPointers)
        // 30 jumps is within the bound.
        #expect(readName(msg, at: 13 + 2 * 29).status == .ok)
    }

    private func readName(_ bytes: [UInt8], at offset: Int) -> (status: DNSParseStatus, text: String, end: Int) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 1)
        defer { buffer.deallocate() }
        let r = bytes.withUnsafeBytes { DNSNameReader.read(PayloadBytes($0), at: offset, into: buffer) }
        return (r.status, ByteSpan(offset: 0, length: r.textLength).string(in: buffer), r.end)
    }
}
