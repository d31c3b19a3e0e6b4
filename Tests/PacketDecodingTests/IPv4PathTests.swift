import PacketDecoding
import Testing
import VigieTestSupport

@Suite("Ethernet / IPv4 paths")
struct IPv4PathTests {
    @Test func tcpOverEthernetDecodesEveryField() {
        let payload: [UInt8] = Array("GET / HTTP/1.1\r\n".utf8)
        let options: [UInt8] = [2, 4, 0x05, 0xB4, 1, 1, 1, 0]  // MSS, NOP, NOP, EOL
        let frame = Build.ethernet(type: 0x0800)
            + Build.ipv4(proto: 6, payload: Build.tcp(seq: 0x0102_0304, ack: 0xA0B0_C0D0, flags: 0x012, window: 29200, options: options, payload: payload), ttl: 57, id: 0xBEEF, dontFragment: true)
        let p = decode(frame)
        #expect(p.anomaly == .none)
        #expect(p.hasEthernet)
        #expect(p.dstMAC == MACAddress(rawValue: 0x0011_2233_4455))
        #expect(p.srcMAC.description == "66:77:88:99:aa:bb")
        #expect(p.etherType == 0x0800 && p.vlanCount == 0)
        #expect(p.network == .ipv4 && p.networkOffset == 14)
        #expect(p.src == ip("192.0.2.1") && p.dst == ip("198.51.100.2"))
        #expect(p.src.isIPv4 && p.ttl == 57 && p.ipProtocol == 6)
        #expect(p.fragment.identification == 0xBEEF && p.fragment.dontFragment && !p.fragment.isFragment)
        #expect(p.transport == .tcp && p.transportOffset == 34)
        #expect(p.srcPort == 40000 && p.dstPort == 80)
        #expect(p.tcp.sequence == 0x0102_0304 && p.tcp.acknowledgment == 0xA0B0_C0D0)
        #expect(p.tcp.flags == [.syn, .ack] && p.tcp.window == 29200 && p.tcp.headerLength == 28)
        #expect(p.payloadOffset == 62 && p.payloadLength == payload.count && p.payloadWireLength == payload.count)
        #expect(p.capturedLength == frame.count)
    }

    @Test func ethernetPaddingIsNotPayload() {
        // A bare ACK is 54 bytes; the NIC pads it to 60. The 6 padding bytes must not become payload.
        let frame = Build.padded(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 6, payload: Build.tcp(flags: 0x010)))
        #expect(frame.count == 60)
        let p = decode(frame)
        #expect(p.anomaly == .none && p.payloadOffset == 54 && p.payloadLength == 0 && p.payloadWireLength == 0)
        let udp = decode(Build.padded(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 17, payload: Build.udp(payload: [1, 2]))))
        #expect(udp.anomaly == .none && udp.payloadLength == 2)
    }

    @Test func snaplenCutPayloadKeepsWireLength() {
        let frame = Build.ethernet(type: 0x0800) + Build.ipv4(proto: 6, payload: Build.tcp(payload: [UInt8](repeating: 7, count: 1000)))
        let p = decode(Array(frame.prefix(100)))
        #expect(p.anomaly == .none && p.transport == .tcp)
        #expect(p.payloadOffset == 54 && p.payloadLength == 46 && p.payloadWireLength == 1000)
    }

    @Test func udpPayloadBoundedByUDPLength() {
        let frame = Build.ethernet(type: 0x0800) + Build.ipv4(proto: 17, payload: Build.udp(src: 123, dst: 124, payload: [1, 2, 3, 4, 5]))
        let p = decode(frame)
        #expect(p.transport == .udp && p.srcPort == 123 && p.dstPort == 124)
        #expect(p.payloadOffset == 42 && p.payloadLength == 5 && p.payloadWireLength == 5)
    }

    @Test func singleVLANTag() {
        let frame = Build.ethernet(type: 0x0800, tags: [(0x8100, 100)]) + Build.ipv4(proto: 17, payload: Build.udp())
        let p = decode(frame)
        #expect(p.vlanCount == 1 && p.outerVLAN == 100 && p.innerVLAN == 0)
        #expect(p.etherType == 0x0800 && p.networkOffset == 18 && p.transport == .udp && p.dstPort == 53)
    }

    @Test(arguments: [UInt16(0x88A8), 0x9100, 0x8100])
    func qinq(outerTPID: UInt16) {
        let frame = Build.ethernet(type: 0x0800, tags: [(outerTPID, 2001), (0x8100, 200)]) + Build.ipv4(proto: 6, payload: Build.tcp())
        let p = decode(frame)
        #expect(p.anomaly == .none && p.vlanCount == 2 && p.outerVLAN == 2001 && p.innerVLAN == 200)
        #expect(p.networkOffset == 22 && p.transport == .tcp && p.dstPort == 80)
    }

    @Test func tripleTagCountsAllTags() {
        let frame = Build.ethernet(type: 0x86DD, tags: [(0x88A8, 1), (0x8100, 2), (0x8100, 3)]) + Build.ipv6(next: 17, payload: Build.udp())
        let p = decode(frame)
        #expect(p.vlanCount == 3 && p.outerVLAN == 1 && p.innerVLAN == 2 && p.transport == .udp)
    }

    @Test func ipv4FirstMiddleAndLastFragments() {
        let udp = Build.udp(src: 789, dst: 2049, payload: [UInt8](repeating: 0, count: 100), length: 3000)
        let first = decode(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 17, payload: Array(udp.prefix(104)), id: 77, moreFragments: true))
        #expect(first.anomaly == .none && first.fragment.isFragment && first.fragment.moreFragments && first.fragment.offset == 0)
        #expect(first.transport == .udp && first.srcPort == 789 && first.dstPort == 2049)
        #expect(first.payloadLength == 96 && first.payloadWireLength == 96)

        let middle = decode(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 17, payload: [UInt8](repeating: 9, count: 64), id: 77, moreFragments: true, fragmentOffset: 104))
        #expect(middle.anomaly == .none && middle.fragment.isFragment && middle.fragment.isNonFirst && middle.fragment.offset == 104)
        #expect(middle.fragment.identification == 77 && middle.ipProtocol == 17)
        #expect(middle.transport == .none && middle.srcPort == 0 && middle.dstPort == 0)
        #expect(middle.payloadOffset == 34 && middle.payloadLength == 64)

        let last = decode(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 17, payload: [UInt8](repeating: 9, count: 8), id: 77, fragmentOffset: 168))
        #expect(last.fragment.isFragment && !last.fragment.moreFragments && last.srcPort == 0 && last.transport == .none)
    }

    @Test func sctpCommonHeader() {
        let frame = Build.ethernet(type: 0x0800) + Build.ipv4(proto: 132, payload: Build.sctp(payload: [1, 0, 0, 4]))
        let p = decode(frame)
        #expect(p.anomaly == .none && p.transport == .sctp && p.ipProtocol == 132)
        #expect(p.srcPort == 2905 && p.dstPort == 2906 && p.payloadOffset == 46 && p.payloadLength == 4)
    }

    @Test func ipv4OptionsAreSkipped() {
        let frame = Build.ethernet(type: 0x0800) + Build.ipv4(proto: 17, payload: Build.udp(dst: 1900), options: [0x94, 4, 0, 0])  // router alert
        let p = decode(frame)
        #expect(p.anomaly == .none && p.transportOffset == 38 && p.dstPort == 1900)
    }

    @Test func unknownIPProtocolPayloadIsWholeIPPayload() {
        let p = decode(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 253, payload: [0, 0, 0x08, 0x00, 1, 2]))  // experimental
        #expect(p.anomaly == .none && p.transport == .other && p.ipProtocol == 253)
        #expect(p.payloadOffset == 34 && p.payloadLength == 6 && p.srcPort == 0)
        // GRE used to be such a protocol; it is now entered, and a 2-byte inner IPv4 packet sends the
        // fields back to the outer packet, whose payload is still the whole IP payload.
        let gre = decode(Build.ethernet(type: 0x0800) + Build.ipv4(proto: 47, payload: [0, 0, 0x08, 0x00, 1, 2]))
        #expect(gre.anomaly == .truncatedTunnel && gre.transport == .other && gre.ipProtocol == 47 && gre.tunnel.depth == 0)
        #expect(gre.payloadOffset == 34 && gre.payloadLength == 6 && gre.srcPort == 0)
    }

    @Test func tsoZeroTotalLengthUsesCapturedLength() {
        let frame = Build.ethernet(type: 0x0800) + Build.ipv4(proto: 6, payload: Build.tcp(payload: [1, 2, 3]), totalLength: 0)
        let p = decode(frame)
        #expect(p.anomaly == .none && p.transport == .tcp && p.payloadLength == 3)
    }

    @Test func arpAndOtherEtherTypes() {
        let arp = decode(Build.padded(Build.ethernet(type: 0x0806) + [0, 1, 8, 0, 6, 4, 0, 1] + [UInt8](repeating: 0, count: 20)))
        #expect(arp.anomaly == .none && arp.network == .arp && arp.etherType == 0x0806 && arp.networkOffset == 14)
        let lldp = decode(Build.padded(Build.ethernet(type: 0x88CC)))
        #expect(lldp.anomaly == .none && lldp.network == .other && lldp.etherType == 0x88CC)
        // 802.3 frame: the type field is a length (<= 1500); LLC follows.
        let llc = decode(Build.padded(Build.ethernet(type: 38) + [0x42, 0x42, 0x03]))
        #expect(llc.anomaly == .none && llc.network == .other && llc.etherType == 0 && llc.networkOffset == 14)
    }

    @Test func pppoeSessionCarryingIPv4() {
        let inner = Build.ipv4(src: "10.3.65.35", dst: "185.8.212.46", proto: 6, payload: Build.tcp(src: 5068, dst: 80))
        let pppoe: [UInt8] = [0x11, 0x00] + Build.be16(0x0042) + Build.be16(UInt16(inner.count + 2)) + Build.be16(0x0021)
        let p = decode(Build.ethernet(type: 0x8864, tags: [(0x8100, 939), (0x8100, 744)]) + pppoe + inner)
        #expect(p.anomaly == .none && p.etherType == 0x8864 && p.network == .ipv4 && p.networkOffset == 30)
        #expect(p.vlanCount == 2 && p.outerVLAN == 939 && p.innerVLAN == 744)
        #expect(p.src == ip("10.3.65.35") && p.srcPort == 5068 && p.dstPort == 80)
    }

    @Test func mplsLabelStackCarryingIPv4() {
        let labels: [UInt8] = [0x00, 0x01, 0x00, 0x40, 0x00, 0x02, 0x01, 0x40]  // label 16 then 32 (bottom)
        let p = decode(Build.ethernet(type: 0x8847) + labels + Build.ipv4(proto: 17, payload: Build.udp()))
        #expect(p.anomaly == .none && p.etherType == 0x8847 && p.network == .ipv4 && p.networkOffset == 22 && p.dstPort == 53)
    }
}
