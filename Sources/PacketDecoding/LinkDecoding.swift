// Link layers: Ethernet, BSD loopback, Linux cooked v1/v2, raw IP.

extension PacketDecoder {
    /// Ethernet II: dst MAC, src MAC, EtherType (or 802.3 length).
    static func decodeEthernet(_ p: PacketBytes, _ out: inout DecodedPacket) {
        guard p.has(0, 14) else {
            out.anomaly = .truncatedLink
            return
        }
        out.hasEthernet = true
        out.dstMAC = p.mac(0)
        out.srcMAC = p.mac(6)
        decodeEtherType(p, p.u16(12), at: 14, &out)
    }

    /// BSD loopback: a 4-byte address family. `LINKTYPE_NULL` stores it in the capturing host's byte
    /// order (so both orders are accepted); `LINKTYPE_LOOP` always in network order.
    static func decodeLoopback(_ p: PacketBytes, networkOrderOnly: Bool, _ out: inout DecodedPacket) {
        guard p.has(0, 4) else {
            out.anomaly = .truncatedLink
            return
        }
        let bigEndian = p.u32(0)
        var network = addressFamily(bigEndian)
        if network == .other && !networkOrderOnly {
            network = addressFamily(bigEndian.byteSwapped)
        }
        switch network {
        case .ipv4: decodeIPv4(p, at: 4, &out)
        case .ipv6: decodeIPv6(p, at: 4, &out)
        default:
            out.network = .other
            out.networkOffset = 4
            opaquePayload(p, from: 4, &out)
        }
    }

    /// AF_INET is 2 everywhere; AF_INET6 differs per OS: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28,
    /// macOS 30. No value is valid in both byte orders, so trying both is unambiguous.
    @inline(__always)
    private static func addressFamily(_ family: UInt32) -> NetworkLayer {
        switch family {
        case 2: .ipv4
        case 10, 24, 28, 30: .ipv6
        default: .other
        }
    }

    /// Linux cooked capture v1: 16-byte header, protocol (an EtherType) at offset 14.
    static func decodeSLL(_ p: PacketBytes, _ out: inout DecodedPacket) {
        guard p.has(0, 16) else {
            out.anomaly = .truncatedLink
            return
        }
        decodeCookedProtocol(p, protocol: p.u16(14), hardwareType: p.u16(2), at: 16, &out)
    }

    /// Linux cooked capture v2: 20-byte header, protocol (an EtherType) at offset 0.
    static func decodeSLL2(_ p: PacketBytes, _ out: inout DecodedPacket) {
        guard p.has(0, 20) else {
            out.anomaly = .truncatedLink
            return
        }
        decodeCookedProtocol(p, protocol: p.u16(0), hardwareType: p.u16(8), at: 20, &out)
    }

    /// For netlink captures (ARPHRD_NETLINK = 824) the protocol field is a netlink family, not an
    /// EtherType; everything else carries an EtherType (values below 0x0600 are Linux pseudo-types
    /// such as 802.2 LLC and fall through to `.other`).
    @inline(__always)
    private static func decodeCookedProtocol(
        _ p: PacketBytes, protocol etherType: UInt16, hardwareType: UInt16, at offset: Int,
        _ out: inout DecodedPacket
    ) {
        if hardwareType == 824 {
            out.network = .other
            out.networkOffset = offset
            opaquePayload(p, from: offset, &out)
            return
        }
        decodeEtherType(p, etherType, at: offset, &out)
    }

    /// Raw IP: the version nibble picks IPv4 or IPv6.
    static func decodeRawIP(_ p: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        switch p.u8(offset) >> 4 {
        case 4: decodeIPv4(p, at: offset, &out)
        case 6: decodeIPv6(p, at: offset, &out)
        default:
            out.network = .other
            out.networkOffset = offset
            out.anomaly = .badIPVersion
        }
    }
}
