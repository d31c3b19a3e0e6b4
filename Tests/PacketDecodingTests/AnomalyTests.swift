import PacketDecoding
import Testing
import VigieTestSupport

@Suite("Anomaly classification")
struct AnomalyTests {
    static let eth = Build.ethernet(type: 0x0800)

    @Test func emptyBuffers() {
        #expect(decode([], .ethernet).anomaly == .truncatedLink)
        #expect(decode([], .raw).anomaly == .truncatedNetwork)
        #expect(decode([], LinkType(rawValue: 42)).anomaly == .unsupportedLink)
    }

    @Test func ipv4HeaderLengthBelowFive() {
        let p = decode(Self.eth + Build.ipv4(proto: 6, payload: Build.tcp(), ihl: 4))
        #expect(p.anomaly == .badIPHeaderLength && p.network == .ipv4 && p.src == ip("192.0.2.1") && p.transport == .none)
    }

    @Test func ipv4TotalLengthBelowHeader() {
        let p = decode(Self.eth + Build.ipv4(proto: 6, payload: Build.tcp(), totalLength: 12))
        #expect(p.anomaly == .badIPTotalLength && p.dst == ip("198.51.100.2") && p.transport == .none)
    }

    @Test func ipv4OptionsCutBySnaplen() {
        let full = Self.eth + Build.ipv4(proto: 6, payload: Build.tcp(), options: [UInt8](repeating: 1, count: 20))
        let p = decode(Array(full.prefix(14 + 30)))
        #expect(p.anomaly == .truncatedNetwork && p.src == ip("192.0.2.1"))
    }

    @Test func tcpDataOffsetProblems() {
        #expect(decode(Self.eth + Build.ipv4(proto: 6, payload: Build.tcp(dataOffset: 3))).anomaly == .badTCPOffset)
        // Data offset 15 (60 bytes) but the IP payload is only 20 bytes.
        let overlong = decode(Self.eth + Build.ipv4(proto: 6, payload: Build.tcp(dataOffset: 15)))
        #expect(overlong.anomaly == .badTCPOffset && overlong.srcPort == 40000)
        // Options cut by the snaplen, not by the IP length.
        let withOptions = Self.eth + Build.ipv4(proto: 6, payload: Build.tcp(options: [UInt8](repeating: 1, count: 20)))
        let cut = decode(Array(withOptions.prefix(14 + 20 + 30)))
        #expect(cut.anomaly == .truncatedTransport && cut.tcp.headerLength == 40 && cut.dstPort == 80)
    }

    @Test func portsSurviveATruncatedTransportHeader() {
        let frame = Self.eth + Build.ipv4(proto: 6, payload: Build.tcp(src: 1234, dst: 4321))
        let p = decode(Array(frame.prefix(14 + 20 + 6)))
        #expect(p.anomaly == .truncatedTransport && p.transport == .tcp && p.srcPort == 1234 && p.dstPort == 4321 && p.tcp.headerLength == 0)
        let tooShort = decode(Array(frame.prefix(14 + 20 + 3)))
        #expect(tooShort.anomaly == .truncatedTransport && tooShort.transport == .none && tooShort.srcPort == 0)
    }

    @Test func udpLengthProblems() {
        let small = decode(Self.eth + Build.ipv4(proto: 17, payload: Build.udp(payload: [1, 2, 3], length: 4)))
        #expect(small.anomaly == .badUDPLength && small.dstPort == 53 && small.payloadLength == 3)
        let big = decode(Self.eth + Build.ipv4(proto: 17, payload: Build.udp(payload: [1, 2, 3], length: 500)))
        #expect(big.anomaly == .badUDPLength && big.payloadLength == 3)
    }

    @Test func badIPVersionBehindEtherType() {
        #expect(decode(Self.eth + Build.ipv6(next: 17, payload: Build.udp())).anomaly == .badIPVersion)
        #expect(decode(Build.ethernet(type: 0x86DD) + Build.ipv4(proto: 17, payload: Build.udp(payload: [UInt8](repeating: 0, count: 20)))).anomaly == .badIPVersion)
    }

    @Test func tooManyVLANTags() {
        let tags = (0..<9).map { _ in (UInt16(0x8100), UInt16(1)) }
        let p = decode(Build.ethernet(type: 0x0800, tags: tags) + Build.ipv4(proto: 17, payload: Build.udp()))
        #expect(p.anomaly == .tooManyEncapsulations && p.vlanCount == 8 && p.network == .none)
    }

    @Test func truncatedVLANTag() {
        let p = decode(Array(Build.ethernet(type: 0x0800, tags: [(0x8100, 5)]).prefix(16)))
        #expect(p.anomaly == .truncatedLink && p.hasEthernet && p.vlanCount == 0)
    }

    @Test func fragmentOverflowIsNonFatal() {
        let p = decode(Self.eth + Build.ipv4(proto: 17, payload: [UInt8](repeating: 0, count: 100), fragmentOffset: 65_528))
        #expect(p.anomaly == .fragmentOverflow && p.fragment.offset == 65_528 && p.payloadLength == 100)
    }

    @Test func anomalyCasesAreDistinct() {
        #expect(Set(DecodeAnomaly.allCases.map(\.rawValue)).count == DecodeAnomaly.allCases.count)
    }
}
