import PacketDecoding
import Testing
import VigieTestSupport

@Suite("IPv6 paths and extension headers")
struct IPv6PathTests {
    @Test func tcpOverIPv6() {
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(src: "2001:db8:1::1", dst: "2001:db8:1::2", next: 6, payload: Build.tcp(src: 36951, dst: 80, payload: [1, 2, 3]), hopLimit: 64))
        #expect(p.anomaly == .none && p.network == .ipv6 && !p.src.isIPv4)
        #expect(p.src == ip("2001:db8:1::1") && p.dst == ip("2001:db8:1::2") && p.ttl == 64)
        #expect(p.ipProtocol == 6 && p.transportOffset == 54 && p.srcPort == 36951 && p.payloadLength == 3)
    }

    @Test func extensionChainIsWalkedToUDP() {
        // hop-by-hop -> destination options (16 bytes) -> routing -> UDP
        let chain = Build.ext6(next: 60) + Build.ext6(next: 43, units: 2) + Build.ext6(next: 17) + Build.udp(src: 546, dst: 547, payload: [9])
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 0, payload: chain))
        #expect(p.anomaly == .none && p.ipProtocol == 17 && p.transport == .udp)
        #expect(p.transportOffset == 54 + 32 && p.srcPort == 546 && p.dstPort == 547 && p.payloadLength == 1)
    }

    @Test func authenticationHeaderThenTCP() {
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 51, payload: Build.ah(next: 6) + Build.tcp(dst: 179)))
        #expect(p.anomaly == .none && p.ipProtocol == 6 && p.transportOffset == 54 + 24 && p.dstPort == 179)
    }

    @Test(arguments: [UInt8(50), 59])
    func espAndNoNextHeaderStopTheWalk(next: UInt8) {
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 0, payload: Build.ext6(next: next) + [1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(p.anomaly == .none && p.ipProtocol == next && p.transport == .other)
        #expect(p.payloadOffset == 62 && p.payloadLength == 8)
    }

    @Test func firstFragmentHasPorts() {
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 44, payload: Build.frag6(next: 17, offset: 0, more: true, id: 0xCAFE_F00D) + Build.udp(src: 1, dst: 2, length: 2000)))
        #expect(p.anomaly == .none && p.fragment.isFragment && p.fragment.moreFragments && p.fragment.hasIPv6FragmentHeader)
        #expect(p.fragment.identification == 0xCAFE_F00D && p.fragment.offset == 0 && !p.fragment.isAtomic)
        #expect(p.ipProtocol == 17 && p.transport == .udp && p.srcPort == 1 && p.dstPort == 2)
    }

    @Test func nonFirstFragmentHasNoPorts() {
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 0, payload: Build.ext6(next: 44) + Build.frag6(next: 58, offset: 1448, more: false, id: 5) + [UInt8](repeating: 0xEE, count: 40)))
        #expect(p.anomaly == .none && p.fragment.isFragment && p.fragment.isNonFirst && p.fragment.offset == 1448)
        #expect(!p.fragment.moreFragments && p.ipProtocol == 58 && p.transport == .none && p.icmpType == 0)
        #expect(p.payloadOffset == 54 + 16 && p.payloadLength == 40)
    }

    @Test func atomicFragmentIsWhole() {
        // RFC 6946: a fragment header with offset 0 and M = 0 wraps a complete packet.
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 44, payload: Build.frag6(next: 6, offset: 0, more: false, id: 9) + Build.tcp(src: 80, dst: 36951)))
        #expect(p.anomaly == .none && !p.fragment.isFragment && p.fragment.isAtomic && p.fragment.identification == 9)
        #expect(p.ipProtocol == 6 && p.transport == .tcp && p.srcPort == 80 && p.dstPort == 36951)
    }

    @Test func sctpOverIPv6() {
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 132, payload: Build.sctp(src: 7, dst: 8)))
        #expect(p.anomaly == .none && p.transport == .sctp && p.srcPort == 7 && p.dstPort == 8)
    }

    @Test func jumboOrTSOZeroPayloadLengthUsesCapture() {
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 6, payload: Build.tcp(payload: [1, 2]), payloadLength: 0))
        #expect(p.anomaly == .none && p.payloadLength == 2)
    }

    @Test func truncatedAndOverlongExtensionHeaders() {
        let full = Build.ethernet(type: 0x86DD) + Build.ipv6(next: 0, payload: Build.ext6(next: 17, units: 3) + Build.udp())
        #expect(decode(Array(full.prefix(54 + 10))).anomaly == .truncatedExtensionHeader)
        // Declared payload too short for the 24-byte extension header.
        let bad = Build.ethernet(type: 0x86DD) + Build.ipv6(next: 0, payload: Build.ext6(next: 17, units: 3) + Build.udp(), payloadLength: 16)
        #expect(decode(bad).anomaly == .badExtensionHeader)
    }

    @Test func tooManyExtensionHeaders() {
        var chain: [UInt8] = []
        for _ in 0..<12 { chain += Build.ext6(next: 60) }
        chain += Build.ext6(next: 17) + Build.udp()
        let p = decode(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 60, payload: chain))
        #expect(p.anomaly == .tooManyExtensionHeaders && p.transport == .none)
    }
}
