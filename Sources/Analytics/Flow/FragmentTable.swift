import PacketDecoding

/// Remembers which flow the first fragment of an IP datagram belonged to, so the later
/// fragments (which carry no transport header, hence no ports) can be attributed to it.
///
/// A small direct-mapped table keyed by (src, dst, protocol, identification): a new datagram
/// overwrites whatever occupied its slot, so memory is fixed and a fragment flood cannot grow
/// it; the cost is that a collision forgets an older datagram (its remaining fragments are then
/// counted as orphans). Entries older than the fragment timeout are ignored.
struct FragmentTable {
    private struct Slot {
        var src: IPAddress = .zero
        var dst: IPAddress = .zero
        var identification: UInt32 = 0
        var ipProtocol: UInt8 = 0
        var used = false
        var timeNanos: Int64 = 0
        var key: FlowKey = .empty
        var fromA = true
    }

    private var slots: [Slot]
    private let mask: Int
    private let timeoutNanos: Int64

    init(slots requested: Int, timeoutNanos: Int64) {
        var n = 16
        while n < requested { n <<= 1 }
        slots = Array(repeating: Slot(), count: n)
        mask = n - 1
        self.timeoutNanos = timeoutNanos
    }

    @inline(__always)
    private func slotIndex(src: IPAddress, dst: IPAddress, ipProtocol: UInt8, identification: UInt32) -> Int {
        var h = src.low ^ (src.high &* 31) ^ (dst.low &* 0x9E37_79B9_7F4A_7C15) ^ dst.high
        h ^= UInt64(identification) << 8 | UInt64(ipProtocol)
        h = (h ^ (h >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        return Int(truncatingIfNeeded: h) & mask
    }

    /// Records the flow of a first fragment.
    mutating func remember(_ p: DecodedPacket, key: FlowKey, fromA: Bool, nanos: Int64) {
        let i = slotIndex(src: p.src, dst: p.dst, ipProtocol: p.ipProtocol, identification: p.fragment.identification)
        slots[i] = Slot(src: p.src, dst: p.dst, identification: p.fragment.identification, ipProtocol: p.ipProtocol,
                        used: true, timeNanos: nanos, key: key, fromA: fromA)
    }

    /// The flow of the datagram a non-first fragment belongs to, if its first fragment was seen
    /// (in the same tenant: overlapping tenant address spaces may reuse an identification).
    func lookup(_ p: DecodedPacket, tenant: UInt64, nanos: Int64) -> (key: FlowKey, fromA: Bool)? {
        let i = slotIndex(src: p.src, dst: p.dst, ipProtocol: p.ipProtocol, identification: p.fragment.identification)
        let s = slots[i]
        guard s.used, s.identification == p.fragment.identification, s.ipProtocol == p.ipProtocol,
              s.src == p.src, s.dst == p.dst, s.key.tenant == tenant, nanos &- s.timeNanos <= timeoutNanos else { return nil }
        return (s.key, s.fromA)
    }
}
