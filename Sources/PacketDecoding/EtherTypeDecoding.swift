// What follows an EtherType: VLAN tags, PPPoE, MPLS, then IPv4 / IPv6 / ARP.

extension PacketDecoder {
    /// Most stacked VLAN tags or MPLS labels walked; real networks use 1–3. The cap bounds the work a
    /// hostile frame made of nothing but tags can cause.
    static let maxEncapsulations = 8

    /// Decodes the layers after an EtherType found at `offset - 2`.
    static func decodeEtherType(_ p: PacketBytes, _ etherType: UInt16, at offset: Int, _ out: inout DecodedPacket) {
        var type = etherType
        var offset = offset
        var tags = 0
        // 802.1Q, 802.1ad (S-tag) and the pre-standard 0x9100 QinQ tag all share the TCI + type layout.
        while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
            guard tags < maxEncapsulations else {
                out.etherType = type
                out.anomaly = .tooManyEncapsulations
                return
            }
            guard p.has(offset, 4) else {
                out.etherType = type
                out.anomaly = .truncatedLink
                return
            }
            let vlanID = p.u16(offset) & 0x0FFF
            if tags == 0 { out.outerVLAN = vlanID } else if tags == 1 { out.innerVLAN = vlanID }
            out.tunnel.layers.insert(.vlan)
            out.tunnel.vlanIDs.append(UInt32(vlanID))
            tags += 1
            out.vlanCount = UInt8(tags)
            type = p.u16(offset + 2)
            offset += 4
        }
        guard type >= 0x0600 else {
            // 802.3 length field (LLC/SNAP follows) or a Linux pseudo-protocol: not an EtherType.
            out.network = .other
            out.networkOffset = offset
            opaquePayload(p, from: offset, &out)
            return
        }
        out.etherType = type
        switch type {
        case 0x0800: decodeIPv4(p, at: offset, &out)
        case 0x86DD: decodeIPv6(p, at: offset, &out)
        case 0x0806: decodeARP(p, at: offset, &out)
        case 0x8864: decodePPPoESession(p, at: offset, &out)
        case 0x8847, 0x8848: decodeMPLS(p, at: offset, &out)
        default:
            out.network = .other
            out.networkOffset = offset
            opaquePayload(p, from: offset, &out)
        }
    }

    /// ARP: only recognised (its fixed 8-byte header must be present); addresses are not decoded.
    @inline(never)
    private static func decodeARP(_ p: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        out.network = .arp
        out.networkOffset = offset
        guard p.has(offset, 8) else {
            out.anomaly = .truncatedNetwork
            return
        }
        opaquePayload(p, from: offset, &out)
    }

    /// PPPoE session stage: 6-byte PPPoE header, then a 2-byte PPP protocol (0x0021 IPv4, 0x0057 IPv6).
    @inline(never)
    private static func decodePPPoESession(_ p: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        guard p.has(offset, 8) else {
            out.anomaly = .truncatedLink
            return
        }
        out.tunnel.layers.insert(.pppoe)
        out.tunnel.innermost = .pppoe
        out.tunnel.pppoeSession = p.u16(offset + 2)
        switch p.u16(offset + 6) {
        case 0x0021: decodeIPv4(p, at: offset + 8, &out)
        case 0x0057: decodeIPv6(p, at: offset + 8, &out)
        default:
            out.network = .other
            out.networkOffset = offset + 8
            opaquePayload(p, from: offset + 8, &out)
        }
    }

    /// MPLS label stack (4 bytes per label, bottom-of-stack bit in byte 2); the payload type is not
    /// signalled, so the first nibble after the stack decides IPv4/IPv6 as routers do; anything else
    /// may be an Ethernet pseudowire (see ``decodeMPLSPseudowire(_:at:_:)``).
    @inline(never)
    private static func decodeMPLS(_ p: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        var offset = offset
        var labels = 0
        while true {
            guard labels < maxEncapsulations else {
                out.anomaly = .tooManyEncapsulations
                return
            }
            guard p.has(offset, 4) else {
                out.anomaly = .truncatedLink
                return
            }
            let bottomOfStack = p.u8(offset + 2) & 1 == 1
            out.tunnel.mplsLabels.append(p.u32(offset) >> 12)
            out.tunnel.layers.insert(.mpls)
            out.tunnel.innermost = .mpls
            offset += 4
            labels += 1
            if bottomOfStack { break }
        }
        guard p.has(offset, 1) else {
            out.anomaly = .truncatedNetwork
            return
        }
        switch p.u8(offset) >> 4 {
        case 4: decodeIPv4(p, at: offset, &out)
        case 6: decodeIPv6(p, at: offset, &out)
        default: decodeMPLSPseudowire(p, at: offset, &out)
        }
    }

    /// What follows a label stack whose first nibble is neither 4 nor 6, decided as tshark's
    /// `pw_eth_heuristic` does: an Ethernet frame without control word if the bytes look like one,
    /// else, after a first nibble of 0, an Ethernet frame behind a 4-byte control word (RFC 4448);
    /// else an unknown payload.
    @inline(never)
    private static func decodeMPLSPseudowire(_ p: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        let frame: Int
        if looksLikeEthernet(p, at: offset) {
            frame = offset
        } else if p.u8(offset) >> 4 == 0 && looksLikeEthernet(p, at: offset + 4) {
            frame = offset + 4
        } else {
            out.network = .other
            out.networkOffset = offset
            opaquePayload(p, from: offset, &out)
            out.flag(.unknownTunnelPayload)
            return
        }
        decodeInside(.mplsPseudowire, newFrame: true, p, &out) { inner in decodeInnerEthernet(p, at: frame, &inner) }
    }

    /// An Ethernet header whose EtherType is one an MPLS pseudowire plausibly carries.
    private static func looksLikeEthernet(_ p: PacketBytes, at offset: Int) -> Bool {
        guard p.has(offset, 14) else { return false }
        switch p.u16(offset + 12) {
        case 0x0800, 0x86DD, 0x0806, 0x8100, 0x88A8, 0x8847, 0x8848, 0x8864: return true
        default: return false
        }
    }
}
