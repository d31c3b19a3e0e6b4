// libFuzzer target for PacketDecoding. Built by run.sh together with the module's sources (one
// module, so no `import`), with -D PACKET_DECODING_STRICT_LOADS: a load that a decoder forgot to
// bounds-check traps instead of quietly reading 0, and AddressSanitizer catches any real
// out-of-bounds read.
//
// Input layout: byte 0 selects the link type (modulo the table below, which includes one
// unsupported type); the remaining bytes are the captured frame.

private let linkTypes: [LinkType] = LinkType.supported + [LinkType(rawValue: 127)]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    let linkType = linkTypes[Int(data[0]) % linkTypes.count]
    // The frame ends exactly where libFuzzer's heap copy ends, so ASan sees any overrun.
    let frame = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    var packet = DecodedPacket()
    PacketDecoder.decode(frame, linkType: linkType, into: &packet)
    checkInvariants(packet, count: frame.count)
    return 0
}

/// The same properties the hostile-input tests assert; a violation aborts so libFuzzer saves the input.
private func checkInvariants(_ p: DecodedPacket, count: Int) {
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
}
