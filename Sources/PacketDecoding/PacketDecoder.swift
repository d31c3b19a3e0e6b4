/// Zero-copy, allocation-free decoder of link, network and transport headers.
///
/// ```swift
/// var packet = DecodedPacket()
/// for frame in frames {
///     frame.withUnsafeBytes { PacketDecoder.decode($0, linkType: .ethernet, into: &packet) }
///     if packet.transport == .tcp { ... packet.srcPort ... }
/// }
/// ```
///
/// Every read is bounds-checked against the buffer length (the *captured* length); hostile input
/// is reported through ``DecodedPacket/anomaly`` and never traps. Multi-byte fields are read
/// big-endian with unaligned loads, so the buffer needs no particular alignment.
public enum PacketDecoder {
    /// Decodes `bytes` (one captured frame of link type `linkType`) into `out`, which is reset first.
    ///
    /// The decoder keeps no reference to `bytes`; offsets in `out` index into it.
    public static func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, into out: inout DecodedPacket) {
        out.reset()
        out.capturedLength = bytes.count
        guard linkType.isSupported else {
            out.anomaly = .unsupportedLink
            return
        }
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            out.anomaly = linkType.startsWithIP ? .truncatedNetwork : .truncatedLink
            return
        }
        let p = PacketBytes(base: base, count: bytes.count)
        decodeLink(p, linkType, &out)
        if out.failedProblem != .none {
            decodeAgain(&out) { o in
                o.capturedLength = bytes.count
                decodeLink(p, linkType, &o)
            }
        }
    }

    /// A tunnel held nothing decodable: decode again with `decodeFromScratch` (after a reset),
    /// stopping before that tunnel; each pass stops at a lower nesting, so this ends.
    @inline(never)
    static func decodeAgain(_ out: inout DecodedPacket, _ decodeFromScratch: (inout DecodedPacket) -> Void) {
        var passes = 0
        while out.failedProblem != .none && passes < maxTunnelDepth {
            let limit = out.failedNesting
            let problem = out.failedProblem
            out.reset()
            out.nestingLimit = limit
            out.limitProblem = problem
            decodeFromScratch(&out)
            passes += 1
        }
        out.nestingLimit = UInt8(maxTunnelDepth)
        out.limitProblem = .none
        out.failedProblem = .none
        out.failedNesting = 0
    }

    @inline(__always)
    private static func decodeLink(_ p: PacketBytes, _ linkType: LinkType, _ out: inout DecodedPacket) {
        switch linkType.rawValue {
        case LinkType.ethernet.rawValue: decodeEthernet(p, at: 0, &out)
        case LinkType.fddi.rawValue: decodeFDDI(p, &out)
        case LinkType.ieee80211.rawValue: decodeIEEE80211(p, at: 0, &out)
        case LinkType.radiotap.rawValue: decodeRadiotap(p, &out)
        case LinkType.null.rawValue: decodeLoopback(p, networkOrderOnly: false, &out)
        case LinkType.loop.rawValue: decodeLoopback(p, networkOrderOnly: true, &out)
        case LinkType.linuxSLL.rawValue: decodeSLL(p, &out)
        case LinkType.linuxSLL2.rawValue: decodeSLL2(p, &out)
        case LinkType.ipv4.rawValue: decodeIPv4(p, at: 0, &out)
        case LinkType.ipv6.rawValue: decodeIPv6(p, at: 0, &out)
        case LinkType.nflog.rawValue: decodeNFLOG(p, &out)
        case LinkType.ipoib.rawValue: decodeIPoIB(p, &out)
        case LinkType.broadcomTag.rawValue: decodeBroadcomTag(p, &out)
        default: decodeRawIP(p, at: 0, &out)  // raw, rawAlt12, rawAlt14
        }
    }

    /// Convenience for tests and tools: decodes `bytes` into a fresh value.
    public static func decode(_ bytes: UnsafeRawBufferPointer, linkType: LinkType) -> DecodedPacket {
        var out = DecodedPacket()
        decode(bytes, linkType: linkType, into: &out)
        return out
    }

    /// Marks everything from `offset` to the end of the capture as an opaque payload; used for
    /// layers the decoder does not look into.
    @inline(__always)
    static func opaquePayload(_ p: PacketBytes, from offset: Int, _ out: inout DecodedPacket) {
        out.payloadOffset = offset
        out.payloadLength = max(0, p.count - offset)
        out.payloadWireLength = out.payloadLength
    }
}
