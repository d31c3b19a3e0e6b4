import PacketDecoding
import Testing
import VigieTestSupport

@Suite("ICMP / ICMPv6 and quoted flows")
struct ICMPTests {
    @Test func echoRequestHasNoQuote() {
        let p = decode(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 1, payload: Build.icmp(type: 8, rest: [0, 1, 0, 2], payload: [UInt8](repeating: 0x61, count: 32))))
        #expect(p.anomaly == .none && p.transport == .icmp && p.icmpType == 8 && p.icmpCode == 0)
        #expect(!p.quoted.isPresent && p.payloadOffset == 42 && p.payloadLength == 32 && p.srcPort == 0)
    }

    @Test func portUnreachableQuotingUDP() {
        // 10.0.0.1:5353 -> 10.0.0.2:53 was refused; 10.0.0.2 answers. Only 8 transport bytes are quoted.
        let original = Build.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17, payload: Build.udp(src: 5353, dst: 53, payload: [UInt8](repeating: 1, count: 30)))
        let quote = Array(original.prefix(28))
        let p = decode(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.0.0.2", dst: "10.0.0.1", proto: 1, payload: Build.icmp(type: 3, code: 3, payload: quote)))
        #expect(p.anomaly == .none && p.icmpType == 3 && p.icmpCode == 3)
        #expect(p.quoted.isPresent && p.quoted.hasPorts && p.quoted.ipProtocol == 17)
        #expect(p.quoted.src == ip("10.0.0.1") && p.quoted.dst == ip("10.0.0.2"))
        #expect(p.quoted.srcPort == 5353 && p.quoted.dstPort == 53)
        #expect(p.srcPort == 0 && p.dstPort == 0)
    }

    @Test func hostUnreachableQuotingTCPWithOptions() {
        let original = Build.ipv4(src: "192.168.1.5", dst: "203.0.113.9", proto: 6, payload: Build.tcp(src: 51000, dst: 443, flags: 0x002), options: [1, 1, 1, 0])
        let p = decode(Build.ethernet(type: 0x0800) + Build.ipv4(src: "192.168.1.1", dst: "192.168.1.5", proto: 1, payload: Build.icmp(type: 3, code: 1, payload: Array(original.prefix(32)))))
        #expect(p.anomaly == .none && p.quoted.ipProtocol == 6 && p.quoted.srcPort == 51000 && p.quoted.dstPort == 443)
        #expect(p.quoted.dst == ip("203.0.113.9"))
    }

    @Test func timeExceededQuotingNonFirstFragmentHasNoPorts() {
        let original = Build.ipv4(proto: 17, payload: [UInt8](repeating: 0, count: 8), moreFragments: true, fragmentOffset: 1480)
        let p = decode(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 1, payload: Build.icmp(type: 11, payload: original)))
        #expect(p.anomaly == .none && p.quoted.isPresent && !p.quoted.hasPorts && p.quoted.ipProtocol == 17)
    }

    @Test func icmpv6UnreachableQuotingIPv6UDP() {
        let original = Build.ipv6(src: "2001:db8::a", dst: "2001:db8::b", next: 17, payload: Build.udp(src: 4000, dst: 4001, payload: [1, 2, 3]))
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(src: "2001:db8::b", dst: "2001:db8::a", next: 58, payload: Build.icmp(type: 1, code: 4, payload: original)))
        #expect(p.anomaly == .none && p.transport == .icmpv6 && p.icmpType == 1 && p.icmpCode == 4)
        #expect(p.quoted.src == ip("2001:db8::a") && p.quoted.dst == ip("2001:db8::b"))
        #expect(p.quoted.ipProtocol == 17 && p.quoted.srcPort == 4000 && p.quoted.dstPort == 4001)
    }

    @Test func packetTooBigQuotingTCPBehindExtensionHeader() {
        let original = Build.ipv6(next: 60, payload: Build.ext6(next: 6) + Build.tcp(src: 443, dst: 50000))
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 58, payload: Build.icmp(type: 2, rest: Build.be32(1280), payload: original)))
        #expect(p.anomaly == .none && p.icmpType == 2 && p.quoted.ipProtocol == 6 && p.quoted.srcPort == 443 && p.quoted.dstPort == 50000)
    }

    @Test func icmpv6EchoAndNeighbourDiscoveryHaveNoQuote() {
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 58, payload: Build.icmp(type: 135, payload: [UInt8](repeating: 0, count: 16))))
        #expect(p.anomaly == .none && p.icmpType == 135 && !p.quoted.isPresent)
    }

    @Test func missingOrGarbageQuoteIsFlagged() {
        let empty = decode(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 1, payload: Build.icmp(type: 3, code: 3)))
        #expect(empty.anomaly == .badICMPQuote && empty.transport == .icmp && !empty.quoted.isPresent)
        let garbage = decode(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 1, payload: Build.icmp(type: 11, payload: [0x15] + [UInt8](repeating: 0, count: 27))))
        #expect(garbage.anomaly == .badICMPQuote)
        // Quote cut inside the IPv4 header: addresses unknown.
        let cut = decode(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 1, payload: Build.icmp(type: 3, payload: Array(Build.ipv4(proto: 6, payload: []).prefix(12)))))
        #expect(cut.anomaly == .badICMPQuote && !cut.quoted.isPresent)
    }
}
