// IPv6 header (RFC 8200) and its extension-header chain.

extension PacketDecoder {
    /// Most extension headers walked. Real traffic rarely has more than three; the cap bounds the work
    /// a hostile chain of minimal 8-byte headers can cause.
    static let maxExtensionHeaders = 10

    /// Decodes an IPv6 header at `offset`, walks its extension headers, then the upper layer.
    static func decodeIPv6(_ p: PacketBytes, at offset: Int, _ out: inout DecodedPacket) {
        out.network = .ipv6
        out.networkOffset = offset
        guard p.has(offset, 40) else {
            out.anomaly = .truncatedNetwork
            return
        }
        guard p.u8(offset) >> 4 == 6 else {
            out.anomaly = .badIPVersion
            return
        }
        let payloadLength = Int(p.u16(offset + 4))
        out.ipProtocol = p.u8(offset + 6)
        out.ttl = p.u8(offset + 7)
        out.src = p.ipv6Address(offset + 8)
        out.dst = p.ipv6Address(offset + 24)
        // Payload length 0 means a jumbogram (RFC 2675) or a TSO capture: trust the captured length.
        let declaredEnd = payloadLength == 0 ? p.count : offset + 40 + payloadLength
        let chain = walkExtensionHeaders(p, first: out.ipProtocol, at: offset + 40, end: declaredEnd, &out.fragment)
        out.ipProtocol = chain.nextHeader
        if chain.problem != .none {
            out.anomaly = chain.problem
            return
        }
        decodeIPPayload(p, at: chain.offset, declaredEnd: declaredEnd, &out)
    }

    /// Where an extension-header walk ended.
    struct ExtensionChainEnd {
        /// The upper-layer protocol (or, on a problem, the header type where the walk stopped).
        var nextHeader: UInt8
        /// Offset of that upper-layer header.
        var offset: Int
        /// `.none`, `.truncatedExtensionHeader`, `.badExtensionHeader` or `.tooManyExtensionHeaders`.
        var problem: DecodeAnomaly
    }

    /// Walks hop-by-hop (0), routing (43), fragment (44), destination options (60) and AH (51)
    /// headers up to `end`. ESP (50), no-next-header (59) and anything else end the walk, as does a
    /// non-first fragment (what follows is the middle of some header). Fragment fields land in
    /// `fragment`.
    static func walkExtensionHeaders(
        _ p: PacketBytes, first: UInt8, at start: Int, end: Int, _ fragment: inout FragmentInfo
    ) -> ExtensionChainEnd {
        var nextHeader = first
        var offset = start
        for _ in 0..<maxExtensionHeaders {
            let length: Int
            switch nextHeader {
            case 0, 43, 60:
                if let problem = lengthCheck(p, offset, 2, end) { return .init(nextHeader: nextHeader, offset: offset, problem: problem) }
                length = (Int(p.u8(offset + 1)) + 1) * 8
            case 51:
                if let problem = lengthCheck(p, offset, 2, end) { return .init(nextHeader: nextHeader, offset: offset, problem: problem) }
                length = (Int(p.u8(offset + 1)) + 2) * 4  // AH counts 4-byte words minus 2 (RFC 4302)
            case 44:
                length = 8
            default:
                return .init(nextHeader: nextHeader, offset: offset, problem: .none)
            }
            if let problem = lengthCheck(p, offset, length, end) {
                return .init(nextHeader: nextHeader, offset: offset, problem: problem)
            }
            if nextHeader == 44 {
                let offsetAndFlags = p.u16(offset + 2)
                fragment.hasIPv6FragmentHeader = true
                fragment.offset = offsetAndFlags & 0xFFF8
                fragment.moreFragments = offsetAndFlags & 1 != 0
                fragment.identification = p.u32(offset + 4)
                fragment.isFragment = fragment.moreFragments || fragment.offset != 0
            }
            nextHeader = p.u8(offset)
            offset += length
            if fragment.isNonFirst {
                return .init(nextHeader: nextHeader, offset: offset, problem: .none)
            }
        }
        switch nextHeader {
        case 0, 43, 44, 51, 60: return .init(nextHeader: nextHeader, offset: offset, problem: .tooManyExtensionHeaders)
        default: return .init(nextHeader: nextHeader, offset: offset, problem: .none)
        }
    }

    /// `nil` when `length` bytes at `offset` lie within both the declared `end` and the capture;
    /// otherwise which of the two was overrun.
    @inline(__always)
    private static func lengthCheck(_ p: PacketBytes, _ offset: Int, _ length: Int, _ end: Int) -> DecodeAnomaly? {
        if offset + length > end { return .badExtensionHeader }
        if !p.has(offset, length) { return .truncatedExtensionHeader }
        return nil
    }
}
