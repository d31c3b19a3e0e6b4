// Link layers: Ethernet, BSD loopback, Linux cooked v1/v2, raw IP, FDDI, 802.11 (plain and with
// radiotap), and the 802.2 LLC/SNAP header the last two carry. NFLOG, IPoIB and the Broadcom tag
// have a file each.

extension PacketDecoder {
    /// Ethernet II: dst MAC, src MAC, EtherType (or an 802.3 length, then LLC). `offset` is not 0 for
    /// an Ethernet frame inside a tunnel. `switchTagLength` bytes of a switch's proprietary tag sit
    /// between the source MAC and the EtherType (the Broadcom tag); 0 for plain Ethernet, a
    /// constant at every call so the compiler folds it away.
    @inline(__always)
    static func decodeEthernet(_ p: PacketBytes, at offset: Int, switchTagLength: Int = 0, _ out: inout DecodedPacket) {
        let headerLength = 14 + switchTagLength
        guard p.has(offset, headerLength) else {
            out.anomaly = .truncatedLink
            return
        }
        out.hasEthernet = true
        out.dstMAC = p.mac(offset)
        out.srcMAC = p.mac(offset + 6)
        let typeOrLength = p.u16(offset + headerLength - 2)
        if typeOrLength < 0x0600 {
            decodeLLC(p, at: offset + headerLength, &out)
        } else {
            decodeEtherType(p, typeOrLength, at: offset + headerLength, &out)
        }
    }

    /// An Ethernet frame inside a tunnel, out of line: the outer frame's copy is inlined with offset 0,
    /// which lets the compiler fold its bounds checks.
    @inline(never)
    static func decodeInnerEthernet(_ p: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        decodeEthernet(p, at: offset, &out)
    }

    /// 802.2 LLC: only SNAP (AA AA 03) with an EtherType OUI (00-00-00, or 00-00-F8 for 802.1H)
    /// leads somewhere; any other LLC frame (spanning tree, NetBIOS, ...) is `.other`.
    @inline(never)
    static func decodeLLC(_ p: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        // A SNAP header cut short (or an LLC header shorter than its 3 bytes) is a cut link layer,
        // not "some other LLC frame".
        let present = max(0, min(p.count - offset, 3))
        if !p.has(offset, 8) && (present < 3 || p.u16(offset) == 0xAAAA && p.u8(offset + 2) == 0x03) {
            out.anomaly = .truncatedLink
            return
        }
        guard p.has(offset, 8), p.u16(offset) == 0xAAAA, p.u8(offset + 2) == 0x03,
              p.u32(offset + 2) & 0x00FF_FFFF == 0 || p.u32(offset + 2) & 0x00FF_FFFF == 0xF8
        else {
            out.network = .other
            out.networkOffset = offset
            opaquePayload(p, from: offset, &out)
            return
        }
        out.tunnel.layers.insert(.llcSNAP)
        decodeEtherType(p, p.u16(offset + 6), at: offset + 8, &out)
    }

    /// FDDI: frame control (1 byte), destination and source (6 each, possibly bit-swapped: not used),
    /// then LLC.
    static func decodeFDDI(_ p: PacketBytes, _ out: inout DecodedPacket) {
        guard p.has(0, 13) else {
            out.anomaly = .truncatedLink
            return
        }
        decodeLLC(p, at: 13, &out)
    }

    /// Radiotap: version 0, then its own length (little-endian, at offset 2), then an 802.11 frame.
    static func decodeRadiotap(_ p: PacketBytes, _ out: inout DecodedPacket) {
        guard p.has(0, 4) else {
            out.anomaly = .truncatedLink
            return
        }
        let length = Int(p.u16(2).byteSwapped)
        guard p.u8(0) == 0, length >= 8 else {
            out.anomaly = .badTunnelHeader
            return
        }
        decodeIEEE80211(p, at: length, &out)
    }

    /// 802.11: only unprotected data frames with a body carry a network layer. The MAC header is 24
    /// bytes, plus a fourth address (to-DS and from-DS both set), a QoS control (QoS subtypes) and an
    /// HT control (QoS with the order bit); then LLC/SNAP. Addresses are not decoded as MACs.
    static func decodeIEEE80211(_ p: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        guard p.has(offset, 2) else {
            out.anomaly = .truncatedLink
            return
        }
        let control = p.u8(offset)
        let flags = p.u8(offset + 1)
        let subtype = control >> 4
        // Type 2 is data; subtypes 4-7 and 12-15 are "null" (no body); 0x40 is the protected bit.
        guard (control >> 2) & 3 == 2, subtype & 4 == 0, flags & 0x40 == 0 else {
            out.network = .other
            out.networkOffset = offset
            return
        }
        var length = 24
        if flags & 3 == 3 { length += 6 }
        if subtype & 8 != 0 {
            length += 2
            if flags & 0x80 != 0 { length += 4 }
        }
        guard p.has(offset, length) else {
            out.anomaly = .truncatedLink
            return
        }
        decodeLLC(p, at: offset + length, &out)
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

    /// Raw IP: the version nibble picks IPv4 or IPv6. (Also what ERSPAN III's IP frame type
    /// carries, where nothing at all may follow the header.)
    static func decodeRawIP(_ p: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        guard p.has(offset, 1) else {
            out.anomaly = .truncatedNetwork
            return
        }
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
