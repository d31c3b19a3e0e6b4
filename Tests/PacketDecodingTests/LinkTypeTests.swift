import PacketDecoding
import Testing
import VigieTestSupport

@Suite("Link types")
struct LinkTypeTests {
    static let ipv4UDP = Build.ipv4(src: "127.0.0.1", dst: "127.0.0.2", proto: 17, payload: Build.udp(src: 1111, dst: 2222))
    static let ipv6TCP = Build.ipv6(src: "::1", dst: "::1", next: 6, payload: Build.tcp(src: 6379, dst: 50000))

    @Test(arguments: [UInt32(2)])
    func nullIPv4InBothByteOrders(family: UInt32) {
        for header in [Build.le32(family), Build.be32(family)] {
            let p = decode(header + Self.ipv4UDP, .null)
            #expect(p.anomaly == .none && p.network == .ipv4 && p.networkOffset == 4 && p.etherType == 0 && !p.hasEthernet)
            #expect(p.src == ip("127.0.0.1") && p.srcPort == 1111 && p.dstPort == 2222)
        }
    }

    @Test(arguments: [UInt32(10), 24, 28, 30])
    func nullIPv6FamiliesInBothByteOrders(family: UInt32) {
        for header in [Build.le32(family), Build.be32(family)] {
            let p = decode(header + Self.ipv6TCP, .null)
            #expect(p.anomaly == .none && p.network == .ipv6 && p.src == ip("::1") && p.srcPort == 6379)
        }
    }

    @Test func nullUnknownFamilyIsOther() {
        let p = decode(Build.le32(7) + [1, 2, 3], .null)
        #expect(p.anomaly == .none && p.network == .other && p.payloadOffset == 4 && p.payloadLength == 3)
    }

    @Test func loopIsNetworkOrderOnly() {
        let ok = decode(Build.be32(2) + Self.ipv4UDP, .loop)
        #expect(ok.anomaly == .none && ok.network == .ipv4 && ok.dstPort == 2222)
        let v6 = decode(Build.be32(24) + Self.ipv6TCP, .loop)
        #expect(v6.network == .ipv6 && v6.dstPort == 50000)
        let hostOrder = decode(Build.le32(2) + Self.ipv4UDP, .loop)
        #expect(hostOrder.network == .other)
    }

    @Test(arguments: [LinkType.raw, .rawAlt12, .rawAlt14])
    func rawIPEitherVersion(linkType: LinkType) {
        let v4 = decode(Self.ipv4UDP, linkType)
        #expect(v4.anomaly == .none && v4.network == .ipv4 && v4.networkOffset == 0 && v4.dstPort == 2222)
        let v6 = decode(Self.ipv6TCP, linkType)
        #expect(v6.anomaly == .none && v6.network == .ipv6 && v6.srcPort == 6379)
        let junk = decode([0x20, 0, 0, 0], linkType)
        #expect(junk.anomaly == .badIPVersion)
    }

    @Test func ipv4AndIPv6LinkTypesAreVersionSpecific() {
        #expect(decode(Self.ipv4UDP, .ipv4).dstPort == 2222)
        #expect(decode(Self.ipv6TCP, .ipv6).srcPort == 6379)
        #expect(decode(Self.ipv6TCP, .ipv4).anomaly == .badIPVersion)
        #expect(decode(Self.ipv4UDP, .ipv6).anomaly == .truncatedNetwork)  // 28 bytes < 40
        #expect(decode(Self.ipv4UDP + [UInt8](repeating: 0, count: 20), .ipv6).anomaly == .badIPVersion)
    }

    @Test func linuxSLL() {
        let p = decode(Build.sll(protocol: 0x0800) + Self.ipv4UDP, .linuxSLL)
        #expect(p.anomaly == .none && p.etherType == 0x0800 && p.networkOffset == 16 && p.dstPort == 2222 && !p.hasEthernet)
    }

    @Test func linuxSLLWithVLANInside() {
        let p = decode(Build.sll(protocol: 0x8100) + Build.be16(0x0064) + Build.be16(0x86DD) + Self.ipv6TCP, .linuxSLL)
        #expect(p.anomaly == .none && p.vlanCount == 1 && p.outerVLAN == 100 && p.networkOffset == 20 && p.srcPort == 6379)
    }

    @Test func linuxSLL2() {
        let p = decode(Build.sll2(protocol: 0x86DD) + Self.ipv6TCP, .linuxSLL2)
        #expect(p.anomaly == .none && p.network == .ipv6 && p.networkOffset == 20 && p.srcPort == 6379)
        let vlan = decode(Build.sll2(protocol: 0x88A8) + Build.be16(5) + Build.be16(0x8100) + Build.be16(6) + Build.be16(0x0800) + Self.ipv4UDP, .linuxSLL2)
        #expect(vlan.anomaly == .none && vlan.vlanCount == 2 && vlan.outerVLAN == 5 && vlan.innerVLAN == 6 && vlan.dstPort == 2222)
    }

    @Test func linuxSLLPseudoProtocolAndNetlinkAreOther() {
        let llc = decode(Build.sll(protocol: 0x0004) + [0xAA, 0xAA, 3], .linuxSLL)
        #expect(llc.anomaly == .none && llc.network == .other && llc.etherType == 0)
        var netlink = Build.sll(protocol: 0x0000)
        netlink[2] = 0x03; netlink[3] = 0x38  // ARPHRD_NETLINK = 824
        #expect(decode(netlink + Self.ipv4UDP, .linuxSLL).network == .other)
    }

    // 10 (FDDI), 105 (802.11) and 127 (radiotap) are decoded since the tunnel work; 239 (NFLOG),
    // 242 (IPoIB) and 281 (Broadcom tag) since issue 17. 282 is the Broadcom tag *before* the MACs.
    @Test(arguments: [UInt32(147), 253, 282, 9999])
    func unsupportedLinkTypes(raw: UInt32) {
        let p = decode(Build.ethernet(type: 0x0800) + Self.ipv4UDP, LinkType(rawValue: raw))
        #expect(p.anomaly == .unsupportedLink && p.network == .none && !LinkType(rawValue: raw).isSupported)
    }

    @Test func supportedListMatchesConstants() {
        #expect(LinkType.supported.count == 16 && LinkType.supported.allSatisfy(\.isSupported))
        #expect(LinkType.fddi.rawValue == 10 && LinkType.ieee80211.rawValue == 105 && LinkType.radiotap.rawValue == 127)
        #expect(Array(LinkType.supported.suffix(6)) == [.fddi, .ieee80211, .radiotap, .nflog, .ipoib, .broadcomTag])
        #expect(LinkType.nflog.rawValue == 239 && LinkType.ipoib.rawValue == 242 && LinkType.broadcomTag.rawValue == 281)
        // The fuzz seeder (Fuzz/PacketDecoding/run.sh) writes selector bytes in this order.
        #expect(LinkType.supported.map(\.rawValue) == [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 10, 105, 127, 239, 242, 281])
        #expect(LinkType.ethernet.rawValue == 1 && LinkType.null.rawValue == 0 && LinkType.loop.rawValue == 108)
        #expect(LinkType.raw.rawValue == 101 && LinkType.rawAlt12.rawValue == 12 && LinkType.rawAlt14.rawValue == 14)
        #expect(LinkType.ipv4.rawValue == 228 && LinkType.ipv6.rawValue == 229)
        #expect(LinkType.linuxSLL.rawValue == 113 && LinkType.linuxSLL2.rawValue == 276)
    }

    @Test func ipoibCarriesWhatItsEtherTypeSays() {
        let v4 = decode(Build.ipoib(type: 0x0800) + Self.ipv4UDP, .ipoib)
        #expect(v4.anomaly == .none && v4.network == .ipv4 && v4.networkOffset == 44 && v4.etherType == 0x0800 && !v4.hasEthernet)
        #expect(v4.src == ip("127.0.0.1") && v4.dstPort == 2222)
        let v6 = decode(Build.ipoib(type: 0x86DD) + Self.ipv6TCP, .ipoib)
        #expect(v6.anomaly == .none && v6.network == .ipv6 && v6.srcPort == 6379)
        let arp = decode(Build.ipoib(type: 0x0806) + [0, 32, 8, 0, 20, 4, 0, 1] + [UInt8](repeating: 0, count: 48), .ipoib)
        #expect(arp.anomaly == .none && arp.network == .arp)
        // The EtherType said IPv4, the packet is IPv6.
        #expect(decode(Build.ipoib(type: 0x0800) + Self.ipv6TCP, .ipoib).anomaly == .badIPVersion)
    }

    @Test func ipoibHeaderCutShort() {
        let frame = Build.ipoib(type: 0x0800) + Self.ipv4UDP
        for length in [0, 1, 20, 40, 43] {
            let p = decode(Array(frame.prefix(length)), .ipoib)
            #expect(p.anomaly == .truncatedLink && p.network == .none, "\(length) bytes")
        }
        #expect(decode(Array(frame.prefix(44)), .ipoib).anomaly == .truncatedNetwork)
    }

    @Test func broadcomTagIsSkippedBeforeTheEtherType() {
        let p = decode(Build.broadcomTagged(type: 0x0800) + Self.ipv4UDP, .broadcomTag)
        #expect(p.anomaly == .none && p.hasEthernet && p.etherType == 0x0800 && p.networkOffset == 18)
        #expect(p.dstMAC.rawValue == 0x0011_2233_4455 && p.srcMAC.rawValue == 0x6677_8899_AABB)
        #expect(p.src == ip("127.0.0.1") && p.dstPort == 2222)
        let vlan = decode(Build.broadcomTagged(type: 0x86DD, tags: [(0x8100, 12)]) + Self.ipv6TCP, .broadcomTag)
        #expect(vlan.anomaly == .none && vlan.vlanCount == 1 && vlan.outerVLAN == 12 && vlan.srcPort == 6379)
        // The same bytes read as plain Ethernet: the tag's bytes are taken for the EtherType.
        #expect(decode(Build.broadcomTagged(type: 0x0800) + Self.ipv4UDP, .ethernet).network != .ipv4)
        // An 802.3 length after the tag: LLC follows, as on Ethernet.
        let llc = decode(Build.broadcomTagged(type: 3) + [0x42, 0x42, 0x03], .broadcomTag)
        #expect(llc.anomaly == .none && llc.network == .other)
    }

    @Test func broadcomTagHeaderCutShort() {
        let frame = Build.broadcomTagged(type: 0x0800) + Self.ipv4UDP
        for length in [0, 6, 12, 14, 16, 17] {
            #expect(decode(Array(frame.prefix(length)), .broadcomTag).anomaly == .truncatedLink, "\(length) bytes")
        }
        #expect(decode(Array(frame.prefix(18)), .broadcomTag).anomaly == .truncatedNetwork)
    }

    @Test func reusedValueIsResetBetweenPackets() {
        var p = DecodedPacket()
        Build.ethernet(type: 0x0800, tags: [(0x8100, 7)]).withUnsafeBytes { _ = $0 }
        let first = Build.ethernet(type: 0x0800, tags: [(0x8100, 7)]) + Self.ipv4UDP
        first.withUnsafeBytes { PacketDecoder.decode($0, linkType: .ethernet, into: &p) }
        #expect(p.vlanCount == 1 && p.dstPort == 2222)
        [UInt8]([1, 2]).withUnsafeBytes { PacketDecoder.decode($0, linkType: .ethernet, into: &p) }
        #expect(p.anomaly == .truncatedLink && p.vlanCount == 0 && p.dstPort == 0 && p.network == .none && p.capturedLength == 2)
    }
}
