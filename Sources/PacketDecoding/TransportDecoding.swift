// TCP, UDP and SCTP headers. Each reads only within `[offset, end)`, where `end` is the smaller of
// the captured length and the IP-declared end, so Ethernet padding is never taken for payload.

extension PacketDecoder {
    /// TCP (RFC 9293): ports need 4 bytes; the rest needs the 20-byte fixed header; the payload
    /// starts after the data offset.
    static func decodeTCP(_ p: PacketBytes, at offset: Int, end: Int, declaredEnd: Int, _ out: inout DecodedPacket) {
        guard end - offset >= 4 else {
            out.anomaly = .truncatedTransport
            return
        }
        out.transport = .tcp
        out.srcPort = p.u16(offset)
        out.dstPort = p.u16(offset + 2)
        guard end - offset >= 20 else {
            out.anomaly = .truncatedTransport
            return
        }
        out.tcp.sequence = p.u32(offset + 4)
        out.tcp.acknowledgment = p.u32(offset + 8)
        let offsetAndFlags = p.u16(offset + 12)
        out.tcp.flags = TCPFlags(rawValue: offsetAndFlags & 0x0FFF)
        out.tcp.window = p.u16(offset + 14)
        let headerLength = Int(offsetAndFlags >> 12) * 4
        guard headerLength >= 20, offset + headerLength <= declaredEnd else {
            out.anomaly = .badTCPOffset
            return
        }
        out.tcp.headerLength = UInt8(headerLength)
        guard offset + headerLength <= end else {
            out.anomaly = .truncatedTransport  // options cut by the snaplen
            return
        }
        setPayload(from: offset + headerLength, end: end, declaredEnd: declaredEnd, &out)
    }

    /// UDP (RFC 768): 8-byte header; the payload is bounded by the UDP length and the IP payload.
    static func decodeUDP(_ p: PacketBytes, at offset: Int, end: Int, declaredEnd: Int, _ out: inout DecodedPacket) {
        guard end - offset >= 4 else {
            out.anomaly = .truncatedTransport
            return
        }
        out.transport = .udp
        out.srcPort = p.u16(offset)
        out.dstPort = p.u16(offset + 2)
        guard end - offset >= 8 else {
            out.anomaly = .truncatedTransport
            return
        }
        let udpLength = Int(p.u16(offset + 4))
        var udpEnd = declaredEnd
        if udpLength < 8 {
            out.flag(.badUDPLength)
        } else if offset + udpLength <= declaredEnd {
            udpEnd = offset + udpLength
        } else if !out.fragment.isFragment {
            // A first fragment legitimately announces the whole datagram's UDP length.
            out.flag(.badUDPLength)
        }
        setPayload(from: offset + 8, end: min(end, udpEnd), declaredEnd: udpEnd, &out)
        let port = out.dstPort
        if (port == vxlanPort || port == genevePort || port == gtpUserPort) && !out.fragment.isFragment {
            decodeUDPTunnel(p, &out)
        }
    }

    /// SCTP (RFC 9260): 12-byte common header; the chunks are the payload.
    static func decodeSCTP(_ p: PacketBytes, at offset: Int, end: Int, declaredEnd: Int, _ out: inout DecodedPacket) {
        guard end - offset >= 4 else {
            out.anomaly = .truncatedTransport
            return
        }
        out.transport = .sctp
        out.srcPort = p.u16(offset)
        out.dstPort = p.u16(offset + 2)
        guard end - offset >= 12 else {
            out.anomaly = .truncatedTransport
            return
        }
        setPayload(from: offset + 12, end: end, declaredEnd: declaredEnd, &out)
    }
}
