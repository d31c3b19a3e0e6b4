// libFuzzer target for PacketDecoding. Built by run.sh together with the module's sources (one
// module, so no `import`), with -D PACKET_DECODING_STRICT_LOADS: a load that a decoder forgot to
// bounds-check traps instead of quietly reading 0, and AddressSanitizer catches any real
// out-of-bounds read.
//
// Input layout: byte 0 selects the link type (modulo the table below: LinkType.supported in its
// order, FDDI, 802.11, radiotap, NFLOG, IPoIB and the Broadcom tag last, then one unsupported
// type); the remaining bytes are the captured frame. run.sh's seeder writes the selector byte in
// the same order.

private let linkTypes: [LinkType] = {
    let unsupported = LinkType(rawValue: 147)  // LINKTYPE_USER0
    precondition(!unsupported.isSupported && LinkType.supported.allSatisfy(\.isSupported))
    return LinkType.supported + [unsupported]
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    let linkType = linkTypes[Int(data[0]) % linkTypes.count]
    // The frame ends exactly where libFuzzer's heap copy ends, so ASan sees any overrun.
    let frame = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    var packet = DecodedPacket()
    PacketDecoder.decode(frame, linkType: linkType, into: &packet)
    checkInvariants(packet, count: frame.count)
    // Outer fragments carrying a tunnel go to one reassembler kept across inputs (small caps, so
    // the fuzzer also reaches eviction), as the analytics and the index builder use it; inputs are
    // a stream of fragments to it. Its datagram is decoded and held to the same invariants.
    if TunnelFragmentReassembler.wants(packet) {
        fuzzClock &+= 1_000_000
        var inner = DecodedPacket()
        fuzzReassembler.add(frame, packet, timeNanos: fuzzClock, into: &inner) { datagram, whole in
            checkInvariants(whole, count: datagram.count, outerOffsetsIndexFrame: false)
        }
        precondition(fuzzReassembler.bytesHeld >= 0 && fuzzReassembler.bytesHeld <= fuzzLimits.maxBytes)
    }
    return 0
}

nonisolated(unsafe) private var fuzzClock: Int64 = 0
private let fuzzLimits: TunnelFragmentReassembler.Limits = {
    var limits = TunnelFragmentReassembler.Limits()
    limits.maxDatagrams = 16
    limits.maxBytes = 64 << 10
    limits.timeoutNanos = 50_000_000
    return limits
}()
nonisolated(unsafe) private let fuzzReassembler = TunnelFragmentReassembler(limits: fuzzLimits)

/// The same properties the hostile-input tests assert; a violation aborts so libFuzzer saves the input.
private func checkInvariants(_ p: DecodedPacket, count: Int, outerOffsetsIndexFrame: Bool = true) {
    precondition(p.capturedLength == count)
    precondition(p.payloadOffset >= 0 && p.payloadLength >= 0 && p.payloadOffset + p.payloadLength <= count)
    precondition(p.payloadWireLength >= p.payloadLength)
    precondition(p.networkOffset >= 0 && p.networkOffset <= count)
    precondition(p.transportOffset >= 0 && p.transportOffset <= count)
    precondition(p.vlanCount <= 8)
    let hasPorts = p.transport == .tcp || p.transport == .udp || p.transport == .sctp
    precondition(hasPorts || (p.srcPort == 0 && p.dstPort == 0))
    precondition(!p.fragment.isNonFirst || p.transport == .none)
    precondition(!p.quoted.isPresent || p.transport == .icmp || p.transport == .icmpv6)
    precondition(p.anomaly != .unsupportedLink || p.network == .none)
    // Tunnels: bounded nesting; outer fields only behind an IP-level tunnel.
    let t = p.tunnel
    precondition(Int(t.nesting) <= PacketDecoder.maxTunnelDepth && t.depth <= t.nesting)
    precondition(t.depth == 0 || (t.outerNetwork == .ipv4 || t.outerNetwork == .ipv6))
    precondition(t.depth > 0 || (t.outerSrc == .zero && t.outerDst == .zero && t.outerSrcPort == 0 && t.outerNetwork == .none))
    // A reassembled datagram's outer offset indexes the fragment's frame, not the datagram.
    precondition(!outerOffsetsIndexFrame || (t.outerNetworkOffset >= 0 && t.outerNetworkOffset <= p.networkOffset))
    precondition(t.innermost.map { t.layers.contains($0) } ?? true)
    precondition(t.vlanIDs.count <= UInt8(PacketDecoder.maxEncapsulations * (PacketDecoder.maxTunnelDepth + 1)))
}
