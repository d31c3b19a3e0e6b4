// IP-level tunnels: GRE (and ERSPAN inside it), IP-in-IP, and the UDP tunnels VXLAN, Geneve and
// GTP-U. Each one hands the frame or packet it carries to `decodeInside`, which decodes it over the
// fields of the outer layer (the fields always describe the innermost packet) and keeps the outer
// endpoints in `tunnel`.

extension PacketDecoder {
    /// Most nested frames (IP-level tunnels plus MPLS pseudowires) walked in one packet. Real feeds use
    /// one or two (ERSPAN, VXLAN, VXLAN over GRE); the cap bounds the work and the stack depth a
    /// hostile GRE-in-GRE-in-GRE... packet can cause.
    public static let maxTunnelDepth = 8

    /// IANA's UDP ports of the tunnels decoded (destination port).
    static let vxlanPort: UInt16 = 4789
    static let genevePort: UInt16 = 6081
    static let gtpUserPort: UInt16 = 2152

    /// Decodes, with `body`, what the `kind` layer carries. If that reaches no usable network layer
    /// (truncated, bad version), the packet is decoded again stopping before this layer (see
    /// `PacketDecoder.decode`), so every field describes the layer outside it and the anomaly says
    /// why: analytics and index use the deepest layer decoded. (Decoding again costs nothing on
    /// well-formed packets; saving the whole value at every tunnel did cost a 352-byte copy.)
    @inline(__always)
    static func decodeInside(
        _ kind: EncapsulationKind, newFrame: Bool, _ p: PacketBytes, _ out: inout DecodedPacket,
        _ body: (inout DecodedPacket) -> Void
    ) {
        let nesting = out.tunnel.nesting
        guard nesting < out.nestingLimit else {
            out.flag(Int(nesting) >= maxTunnelDepth ? .tooManyEncapsulations : out.limitProblem)
            return
        }
        if kind.isIPTunnel {
            if out.tunnel.depth == 0 {
                out.tunnel.outerNetwork = out.network
                out.tunnel.outerNetworkOffset = out.networkOffset
                out.tunnel.outerSrc = out.src
                out.tunnel.outerDst = out.dst
                out.tunnel.outerIPProtocol = out.ipProtocol
                if out.transport == .udp {
                    out.tunnel.outerSrcPort = out.srcPort
                    out.tunnel.outerDstPort = out.dstPort
                }
            }
            out.tunnel.depth &+= 1
        }
        out.tunnel.nesting = nesting &+ 1
        out.tunnel.layers.insert(kind)
        out.tunnel.innermost = kind
        out.clearInnerPacket(newFrame: newFrame)
        body(&out)
        // The inner IP header is unusable when it is cut or has the wrong version. (Those
        // anomalies are always the inner decode's own: the decoders set them unconditionally, over
        // a non-fatal anomaly of the outer packet such as badUDPLength.)
        let reachedNetwork: Bool
        switch out.network {
        case .none: reachedNetwork = false
        case .ipv4, .ipv6:
            switch out.anomaly {
            case .truncatedNetwork, .badIPVersion, .truncatedLink: reachedNetwork = false
            default: reachedNetwork = true
            }
        case .arp, .other: reachedNetwork = true
        }
        if !reachedNetwork && out.failedProblem == .none {
            out.failedNesting = nesting
            switch out.anomaly {
            case .none, .truncatedLink, .truncatedNetwork: out.failedProblem = .truncatedTunnel
            default: out.failedProblem = out.anomaly
            }
        }
    }

    /// IP protocols 4, 41 and 47 once the packet is known to be whole. Kept out of line (as every
    /// tunnel entry is) so that the recursion through tunnels does not stop the compiler from inlining
    /// the plain Ethernet-IP-TCP path.
    @inline(never)
    static func decodeIPTunnel(_ p: PacketBytes, at offset: Int, end: Int, _ out: inout DecodedPacket) {
        if out.ipProtocol == 47 {
            decodeGRE(p, at: offset, end: end, &out)
        } else {
            decodeIPInIP(p, at: offset, end: end, version: out.ipProtocol == 4 ? 4 : 6, &out)
        }
    }

    /// GRE (RFC 2784, with RFC 2890's key and sequence number) within `[offset, end)`. Version 1
    /// (PPTP's enhanced GRE, carrying PPP) is left undecoded, as is the deprecated routing form.
    @inline(never)
    static func decodeGRE(_ p: PacketBytes, at offset: Int, end: Int, _ out: inout DecodedPacket) {
        let q = p.limited(to: end)
        guard q.has(offset, 4) else {
            out.flag(.truncatedTunnel)
            return
        }
        let flags = q.u16(offset)
        let protocolType = q.u16(offset + 2)
        guard flags & 0x7 == 0 else { return }  // version 1: PPTP
        guard flags & 0x4000 == 0 else {
            out.flag(.badTunnelHeader)  // source routing (RFC 1701): variable-length, deprecated
            return
        }
        var length = 4
        if flags & 0x8000 != 0 { length += 4 }  // checksum + reserved
        let keyOffset = offset + length
        let hasKey = flags & 0x2000 != 0
        if hasKey { length += 4 }
        let hasSequence = flags & 0x1000 != 0
        if hasSequence { length += 4 }
        guard q.has(offset, length) else {
            out.flag(.truncatedTunnel)
            return
        }
        let key = hasKey ? q.u32(keyOffset) : 0
        let inner = offset + length
        switch protocolType {
        case 0x88BE: decodeERSPAN(q, at: inner, type: hasSequence ? 2 : 1, &out)  // type I has no sequence
        case 0x22EB: decodeERSPAN(q, at: inner, type: 3, &out)
        case 0x6558:
            decodeInside(.gre, newFrame: true, q, &out) { o in
                o.tunnel.hasGREKey = hasKey
                o.tunnel.greKey = key
                decodeInnerEthernet(q, at: inner, &o)
            }
        case 0x0800, 0x86DD, 0x0806, 0x8847, 0x8848, 0x8100, 0x88A8, 0x8864:
            decodeInside(.gre, newFrame: false, q, &out) { o in
                o.tunnel.hasGREKey = hasKey
                o.tunnel.greKey = key
                decodeEtherType(q, protocolType, at: inner, &o)
            }
        default:
            out.flag(.unknownTunnelPayload)
        }
    }

    /// ERSPAN (draft-foschiano-erspan): type I has no header; type II an 8-byte header (version 1);
    /// type III a 12-byte header (version 2), plus 8 bytes when its O bit is set, and a frame type
    /// (0 Ethernet, 2 IP).
    @inline(never)
    static func decodeERSPAN(_ q: PacketBytes, at offset: Int, type: UInt8, _ out: inout DecodedPacket) {
        var inner = offset
        var session: UInt16 = 0
        var carriesIP = false
        if type >= 2 {
            let headerLength = type == 2 ? 8 : 12
            guard q.has(offset, headerLength) else {
                out.flag(.truncatedTunnel)
                return
            }
            guard q.u8(offset) >> 4 == type - 1 else {
                out.flag(.badTunnelHeader)
                return
            }
            session = q.u16(offset + 2) & 0x03FF
            inner += headerLength
            if type == 3 {
                let word = q.u16(offset + 10)
                if word & 1 != 0 { inner += 8 }  // platform-specific subheader
                switch (word >> 10) & 0x1F {
                case 0: break
                case 2: carriesIP = true
                default:
                    out.flag(.unknownTunnelPayload)
                    return
                }
            }
        }
        decodeInside(.erspan, newFrame: !carriesIP, q, &out) { o in
            o.tunnel.layers.insert(.gre)
            o.tunnel.erspanType = type
            o.tunnel.erspanSession = session
            if carriesIP { decodeRawIP(q, at: inner, &o) } else { decodeInnerEthernet(q, at: inner, &o) }
        }
    }

    /// IPv4 (protocol 4) or IPv6 (41) carried directly in an IP packet, within `[offset, end)`.
    @inline(never)
    static func decodeIPInIP(_ p: PacketBytes, at offset: Int, end: Int, version: UInt8, _ out: inout DecodedPacket) {
        let q = p.limited(to: end)
        decodeInside(.ipInIP, newFrame: false, q, &out) { o in
            if version == 4 { decodeIPv4(q, at: offset, &o) } else { decodeIPv6(q, at: offset, &o) }
        }
    }

    /// A UDP payload at a tunnel's destination port: VXLAN, Geneve or GTP-U. Called with the UDP
    /// payload already recorded in `out`.
    @inline(never)
    static func decodeUDPTunnel(_ p: PacketBytes, _ out: inout DecodedPacket) {
        let offset = out.payloadOffset
        let q = p.limited(to: offset + out.payloadLength)
        switch out.dstPort {
        case vxlanPort: decodeVXLAN(q, at: offset, &out)
        case genevePort: decodeGeneve(q, at: offset, &out)
        default: decodeGTPUser(q, at: offset, &out)
        }
    }

    /// A length inside a UDP tunnel header that runs past the UDP payload: the capture's fault
    /// (`truncatedTunnel`) when the snap length cut the payload, else the header's (`badTunnelHeader`).
    @inline(__always)
    static func lengthProblem(_ out: DecodedPacket) -> DecodeAnomaly {
        out.payloadLength < out.payloadWireLength ? .truncatedTunnel : .badTunnelHeader
    }

    /// VXLAN (RFC 7348): 8 bytes, the I flag set, a 24-bit VNI; then an Ethernet frame.
    @inline(never)
    static func decodeVXLAN(_ q: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        guard q.has(offset, 8) else {
            out.flag(.truncatedTunnel)
            return
        }
        guard q.u8(offset) & 0x08 != 0 else {
            out.flag(.badTunnelHeader)
            return
        }
        let vni = q.u32(offset + 4) >> 8
        decodeInside(.vxlan, newFrame: true, q, &out) { o in
            o.tunnel.vxlanVNI = vni
            decodeInnerEthernet(q, at: offset + 8, &o)
        }
    }

    /// Geneve (RFC 8926): 8 bytes plus options (skipped), version 0, a protocol type (0x6558 for
    /// Ethernet, else an EtherType) and a 24-bit VNI.
    @inline(never)
    static func decodeGeneve(_ q: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        guard q.has(offset, 8) else {
            out.flag(.truncatedTunnel)
            return
        }
        let first = q.u8(offset)
        guard first >> 6 == 0 else {
            out.flag(.badTunnelHeader)
            return
        }
        let headerLength = 8 + Int(first & 0x3F) * 4
        guard q.has(offset, headerLength) else {
            out.flag(lengthProblem(out))  // the options' length runs past the UDP payload
            return
        }
        let protocolType = q.u16(offset + 2)
        let vni = q.u32(offset + 4) >> 8
        let inner = offset + headerLength
        switch protocolType {
        case 0x6558:
            decodeInside(.geneve, newFrame: true, q, &out) { o in
                o.tunnel.geneveVNI = vni
                decodeInnerEthernet(q, at: inner, &o)
            }
        case 0x0800, 0x86DD, 0x8847, 0x8848:
            decodeInside(.geneve, newFrame: false, q, &out) { o in
                o.tunnel.geneveVNI = vni
                decodeEtherType(q, protocolType, at: inner, &o)
            }
        default:
            out.flag(.unknownTunnelPayload)
        }
    }

    /// GTP-U (3GPP TS 29.281): version 1, protocol type GTP; only G-PDUs (message 0xFF) carry user
    /// packets (echo, error indication and end marker stay plain UDP). The optional 4-byte field
    /// and the extension-header chain (bounded) are skipped; the user packet is IP by its first nibble.
    @inline(never)
    static func decodeGTPUser(_ q: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        guard q.has(offset, 8) else {
            out.flag(.truncatedTunnel)
            return
        }
        let flags = q.u8(offset)
        guard flags >> 5 == 1, flags & 0x10 != 0 else {
            out.flag(.badTunnelHeader)
            return
        }
        guard q.u8(offset + 1) == 0xFF else { return }
        let teid = q.u32(offset + 4)
        // The message length counts what follows the 8 mandatory bytes.
        let r = q.limited(to: offset + 8 + Int(q.u16(offset + 2)))
        var inner = offset + 8
        if flags & 0x07 != 0 {
            guard r.has(offset, 12) else {
                out.flag(r.count < q.count ? .badTunnelHeader : lengthProblem(out))
                return
            }
            // The next-extension type counts only with the E flag (S or PN alone add the field too).
            var next = flags & 0x04 != 0 ? r.u8(offset + 11) : 0
            inner = offset + 12
            var walked = 0
            while next != 0 {
                guard walked < maxExtensionHeaders, r.has(inner, 1) else {
                    out.flag(walked < maxExtensionHeaders ? .truncatedTunnel : .badTunnelHeader)
                    return
                }
                let length = Int(r.u8(inner)) * 4
                guard length > 0, r.has(inner, length) else {
                    out.flag(length == 0 || r.count < q.count ? .badTunnelHeader : lengthProblem(out))
                    return
                }
                next = r.u8(inner + length - 1)
                inner += length
                walked += 1
            }
        }
        guard r.has(inner, 1) else {
            out.flag(.truncatedTunnel)
            return
        }
        let version = r.u8(inner) >> 4
        guard version == 4 || version == 6 else {
            out.flag(.unknownTunnelPayload)
            return
        }
        decodeInside(.gtpU, newFrame: false, r, &out) { o in
            o.tunnel.gtpTEID = teid
            if version == 4 { decodeIPv4(r, at: inner, &o) } else { decodeIPv6(r, at: inner, &o) }
        }
    }
}
