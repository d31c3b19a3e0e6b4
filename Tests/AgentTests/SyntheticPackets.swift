import PcapFormat

/// Deterministic fake packets for store tests (the store does not look inside them).
struct SyntheticPackets {
    var format = SourceFormat(linkType: 1, snaplen: 262_144, nanosecond: true)
    var payload: [UInt8]

    init(size: Int) {
        payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    }

    /// Header for packet `i` at `start + i * step` nanoseconds.
    func header(_ i: Int, start: Int64 = 1_700_000_000_000_000_000, stepNanos: Int64 = 1_000_000) -> PacketHeader {
        let t = start + Int64(i) * stepNanos
        return PacketHeader(seconds: UInt32(t / 1_000_000_000), fraction: UInt32(t % 1_000_000_000), nanosecond: true,
                            capturedLength: UInt32(payload.count), originalLength: UInt32(payload.count))
    }
}
