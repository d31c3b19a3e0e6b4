// IPv4 header (RFC 791).

extension PacketDecoder {
    /// Decodes an IPv4 header at `offset` and what it carries.
    static func decodeIPv4(_ p: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        out.network = .ipv4
        out.networkOffset = offset
        guard p.has(offset, 20) else {
            out.anomaly = .truncatedNetwork
            return
        }
        let versionAndLength = p.u8(offset)
        guard versionAndLength >> 4 == 4 else {
            out.anomaly = .badIPVersion
            return
        }
        // Addresses and protocol sit in the fixed 20 bytes: keep them even if the lengths are bad,
        // so a malformed packet can still be attributed to its hosts.
        out.ttl = p.u8(offset + 8)
        out.ipProtocol = p.u8(offset + 9)
        out.src = p.ipv4Address(offset + 12)
        out.dst = p.ipv4Address(offset + 16)
        let flagsAndOffset = p.u16(offset + 6)
        out.fragment.identification = UInt32(p.u16(offset + 4))
        out.fragment.dontFragment = flagsAndOffset & 0x4000 != 0
        out.fragment.moreFragments = flagsAndOffset & 0x2000 != 0
        out.fragment.offset = (flagsAndOffset & 0x1FFF) << 3
        out.fragment.isFragment = out.fragment.moreFragments || out.fragment.offset != 0

        let headerLength = Int(versionAndLength & 0x0F) * 4
        guard headerLength >= 20 else {
            out.anomaly = .badIPHeaderLength
            return
        }
        let totalLength = Int(p.u16(offset + 2))
        let declaredEnd: Int
        if totalLength == 0 {
            // Captured on a host doing TCP segmentation offload: the NIC fills the length in later.
            // Like Wireshark, trust the captured length.
            declaredEnd = p.count
        } else {
            guard totalLength >= headerLength else {
                out.anomaly = .badIPTotalLength
                return
            }
            declaredEnd = offset + totalLength
        }
        guard p.has(offset, headerLength) else {
            out.anomaly = .truncatedNetwork  // options cut by the snaplen
            return
        }
        let payloadStart = offset + headerLength
        if out.fragment.isFragment && Int(out.fragment.offset) + (declaredEnd - payloadStart) > 65_535 {
            out.flag(.fragmentOverflow)
        }
        decodeIPPayload(p, at: payloadStart, declaredEnd: declaredEnd, &out)
    }

    /// Dispatches on `out.ipProtocol` for the IP payload `[offset, declaredEnd)` (of which only the part
    /// below the captured length is read). Non-first fragments carry no transport header.
    static func decodeIPPayload(_ p: PacketBytes, at offset: Int, declaredEnd: Int, _ out: inout DecodedPacket) {
        out.transportOffset = offset
        let end = min(declaredEnd, p.count)
        if out.fragment.isNonFirst {
            setPayload(from: offset, end: end, declaredEnd: declaredEnd, &out)
            return
        }
        switch out.ipProtocol {
        case 6: decodeTCP(p, at: offset, end: end, declaredEnd: declaredEnd, &out)
        case 17: decodeUDP(p, at: offset, end: end, declaredEnd: declaredEnd, &out)
        case 132: decodeSCTP(p, at: offset, end: end, declaredEnd: declaredEnd, &out)
        case 1: decodeICMP(p, at: offset, end: end, declaredEnd: declaredEnd, version6: false, &out)
        case 58: decodeICMP(p, at: offset, end: end, declaredEnd: declaredEnd, version6: true, &out)
        case 4, 41, 47:
            // Tunnels are decoded when the packet is whole; a first fragment waits for reassembly.
            out.transport = .other
            setPayload(from: offset, end: end, declaredEnd: declaredEnd, &out)
            if !out.fragment.isFragment { decodeIPTunnel(p, at: offset, end: end, &out) }
        default:
            out.transport = .other
            setPayload(from: offset, end: end, declaredEnd: declaredEnd, &out)
        }
    }

    /// Records the payload span `[offset, end)` present in the buffer and its declared wire length.
    @inline(__always)
    static func setPayload(from offset: Int, end: Int, declaredEnd: Int, _ out: inout DecodedPacket) {
        out.payloadOffset = offset
        out.payloadLength = max(0, end - offset)
        out.payloadWireLength = max(0, declaredEnd - offset)
    }
}
