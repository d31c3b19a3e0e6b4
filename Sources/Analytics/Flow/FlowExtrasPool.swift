/// The side table of ``FlowExtras``: the cold part of a flow, taken by a flow only when it first
/// needs one of its fields (a retransmission, an out-of-order segment, a zero window, a FIN or RST,
/// duplicate ACKs, an interim report, an attributed ICMP error, a fragment) and given back when
/// the flow ends.
///
/// Bounded by construction: a flow holds at most one, so the pool has the table's capacity and is
/// never exhausted. Like the table, it reserves its memory up front but initialises items only on
/// first use and recycles them through a free list (LIFO, so the pages touched are those of the
/// most extras held at once, ``peak``): nothing is allocated per packet or per flow.
/// Single-threaded (owned by one analytics thread).
final class FlowExtrasPool {
    let capacity: Int
    private let items: UnsafeMutablePointer<FlowExtras>
    /// Free slots (grows, amortised, to the most extras ever held at once; never per packet).
    private var free: [UInt32] = []
    /// Items never used so far start here (initialised on first use).
    private var nextFresh = 0
    /// Extras held now, and the most held at once.
    private(set) var count = 0
    private(set) var peak = 0
    /// Extras taken since the pool was made.
    private(set) var taken: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        items = .allocate(capacity: self.capacity)
    }

    deinit {
        items.deinitialize(count: nextFresh)
        items.deallocate()
    }

    /// Takes a slot for a flow that started at `startNanos`, its fields at their defaults. Never
    /// fails while every holder is a live flow of a table of at most ``capacity`` entries.
    func take(startNanos: Int64) -> UInt32 {
        let slot: UInt32
        if let reused = free.popLast() {
            slot = reused
            items[Int(slot)] = FlowExtras(startNanos: startNanos)
        } else {
            precondition(nextFresh < capacity, "FlowExtrasPool: more extras than flows")
            slot = UInt32(nextFresh)
            (items + nextFresh).initialize(to: FlowExtras(startNanos: startNanos))
            nextFresh += 1
        }
        count += 1
        if count > peak { peak = count }
        taken &+= 1
        return slot
    }

    /// Gives `slot` back (``FlowTable/none``: nothing to give).
    func release(_ slot: UInt32) {
        guard slot != FlowTable.none else { return }
        if free.isEmpty { free.reserveCapacity(64) }
        free.append(slot)
        count -= 1
    }

    @inline(__always)
    subscript(slot: UInt32) -> UnsafeMutablePointer<FlowExtras> { items + Int(slot) }

    /// Bytes one item occupies.
    static var stride: Int { MemoryLayout<FlowExtras>.stride }
}
