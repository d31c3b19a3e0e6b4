/// The tunnels of tunnelled flows, kept beside the flow table so an untunnelled flow pays nothing
/// (the slot is in the flow's ``FlowExtras``, ``FlowExtras/tunnelSlot``). Slots are reused through a free list; the array
/// grows (amortised) only when more tunnelled flows are open than ever before, never per packet.
struct TunnelPool {
    private(set) var slots: [TunnelSummary] = []
    private var free: [UInt32] = []

    /// Open tunnelled flows.
    var count: Int { slots.count - free.count }

    /// Stores `t` and returns its slot.
    mutating func store(_ t: TunnelSummary) -> UInt32 {
        if let slot = free.popLast() {
            slots[Int(slot)] = t
            return slot
        }
        slots.append(t)
        return UInt32(slots.count - 1)
    }

    /// The tunnel in `slot`, or nil for ``FlowTable/none``.
    @inline(__always)
    func tunnel(_ slot: UInt32) -> TunnelSummary? {
        slot == FlowTable.none ? nil : slots[Int(slot)]
    }

    mutating func release(_ slot: UInt32) {
        guard slot != FlowTable.none else { return }
        free.append(slot)
    }
}
