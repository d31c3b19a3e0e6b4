// ICMP (RFC 792) and ICMPv6 (RFC 4443), including the packet quoted by error messages.

extension PacketDecoder {
    /// Type and code need 2 bytes, the full header 8. For error messages the quoted packet that
    /// follows the header is decoded into `out.quoted`.
    static func decodeICMP(
        _ p: PacketBytes, at offset: Int, end: Int, declaredEnd: Int, version6: Bool, _ out: inout DecodedPacket
    ) {
        guard end - offset >= 2 else {
            out.anomaly = .truncatedTransport
            return
        }
        out.transport = version6 ? .icmpv6 : .icmp
        out.icmpType = p.u8(offset)
        out.icmpCode = p.u8(offset + 1)
        guard end - offset >= 8 else {
            out.anomaly = .truncatedTransport
            return
        }
        setPayload(from: offset + 8, end: end, declaredEnd: declaredEnd, &out)
        if isErrorMessage(out.icmpType, version6: version6) && !decodeQuote(p, at: offset + 8, end: end, &out.quoted) {
            out.flag(.badICMPQuote)
        }
    }

    /// ICMPv6: unreachable, packet too big, time exceeded, parameter problem.
    /// ICMP: unreachable, source quench, redirect, time exceeded, parameter problem.
    @inline(__always)
    static func isErrorMessage(_ type: UInt8, version6: Bool) -> Bool {
        if version6 { return type >= 1 && type <= 4 }
        switch type {
        case 3, 4, 5, 11, 12: return true
        default: return false
        }
    }

    /// Decodes the quoted IP header (and the first 4 transport bytes, which hold the ports) within
    /// `[offset, end)`. The quoted header's own length fields describe the *original* packet, most
    /// of which is not quoted, so only `end` bounds the reads. Returns false when no usable header.
    static func decodeQuote(_ p: PacketBytes, at offset: Int, end: Int, _ quoted: inout QuotedFlow) -> Bool {
        guard end - offset >= 1 else { return false }
        var transportOffset: Int
        var fragment = FragmentInfo()
        switch p.u8(offset) >> 4 {
        case 4:
            guard end - offset >= 20 else { return false }
            let headerLength = Int(p.u8(offset) & 0x0F) * 4
            guard headerLength >= 20 else { return false }
            quoted.isPresent = true
            quoted.ipProtocol = p.u8(offset + 9)
            quoted.src = p.ipv4Address(offset + 12)
            quoted.dst = p.ipv4Address(offset + 16)
            fragment.offset = (p.u16(offset + 6) & 0x1FFF) << 3
            transportOffset = offset + headerLength
        case 6:
            guard end - offset >= 40 else { return false }
            quoted.isPresent = true
            quoted.src = p.ipv6Address(offset + 8)
            quoted.dst = p.ipv6Address(offset + 24)
            let chain = walkExtensionHeaders(p, first: p.u8(offset + 6), at: offset + 40, end: end, &fragment)
            quoted.ipProtocol = chain.nextHeader
            // A quote cut inside its extension headers still identifies the hosts; just no ports.
            guard chain.problem == .none else { return true }
            transportOffset = chain.offset
        default:
            return false
        }
        switch quoted.ipProtocol {
        case 6, 17, 132:
            if fragment.offset == 0 && end - transportOffset >= 4 {
                quoted.hasPorts = true
                quoted.srcPort = p.u16(transportOffset)
                quoted.dstPort = p.u16(transportOffset + 2)
            }
        default:
            break
        }
        return true
    }
}
