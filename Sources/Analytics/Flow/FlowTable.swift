/// Bounded storage of flows: a preallocated entry array, an open-addressing index (linear
/// probing, ≤ 50 % load, backward-shift deletion so no tombstones accumulate) and intrusive
/// doubly-linked lists (idle-timeout lists per ``TimeoutClass`` and the interim-report list).
///
/// Nothing is allocated after `init`: entries are recycled through a free list. Memory is
/// reserved for `capacity` entries up front but pages are only touched as flows arrive.
/// Single-threaded (owned by one analytics thread).
final class FlowTable {
    /// "No entry" in links and the index.
    static let none = UInt32.max

    let capacity: Int
    private(set) var count = 0
    /// Entries; `entries[i]` is live when `inUse`.
    let entries: UnsafeMutablePointer<FlowEntry>
    /// Index slots: entry index, or `none`.
    private let slots: UnsafeMutablePointer<UInt32>
    private let slotMask: Int
    /// Index slots (a power of two ≥ 2 × capacity).
    var slotCount: Int { slotMask + 1 }
    /// Free entry indices (a stack, linked through `activityNext`).
    private var freeHead: UInt32
    /// Head/tail of each timeout list (index by `TimeoutClass.rawValue`).
    private(set) var activityHead: [UInt32]
    private var activityTail: [UInt32]
    private(set) var interimHead = FlowTable.none
    private var interimTail = FlowTable.none

    init(capacity: Int) {
        let cap = max(1, min(capacity, Int(UInt32.max - 1)))
        self.capacity = cap
        var slotCount = 16
        while slotCount < cap * 2 { slotCount <<= 1 }
        slotMask = slotCount - 1
        slots = .allocate(capacity: slotCount)
        slots.initialize(repeating: Self.none, count: slotCount)
        // Entries are initialised lazily (see `allocateEntry`), so untouched pages stay unmapped.
        entries = .allocate(capacity: cap)
        freeHead = Self.none
        nextFresh = 0
        activityHead = Array(repeating: Self.none, count: TimeoutClass.allCases.count)
        activityTail = activityHead
    }

    /// Entries never used so far start here (they are initialised on first use).
    private var nextFresh: Int

    deinit {
        // Every slot below `nextFresh` was initialised.
        entries.deinitialize(count: nextFresh)
        entries.deallocate()
        slots.deallocate()
    }

    var isFull: Bool { count >= capacity }

    /// The entry index holding `key`, or `none`.
    @inline(__always)
    func find(_ key: FlowKey, hash: UInt32) -> UInt32 {
        var s = Int(hash) & slotMask
        while true {
            let e = slots[s]
            if e == Self.none { return Self.none }
            let entry = entries + Int(e)
            if entry.pointee.key == key { return e }
            s = (s + 1) & slotMask
        }
    }

    /// Inserts a fresh entry for `key` (which must not be present and the table not full) and
    /// returns its index; the entry is reset to defaults with `key` set (`hash` places it; the
    /// entry does not keep it: `key.hash32` recomputes it when a deletion shifts it).
    func insert(_ key: FlowKey, hash: UInt32) -> UInt32 {
        let index: UInt32
        if freeHead != Self.none {
            index = freeHead
            freeHead = entries[Int(index)].activityNext
            entries[Int(index)] = FlowEntry()
        } else {
            precondition(nextFresh < capacity, "FlowTable.insert on a full table")
            index = UInt32(nextFresh)
            (entries + nextFresh).initialize(to: FlowEntry())
            nextFresh += 1
        }
        entries[Int(index)].key = key
        entries[Int(index)].inUse = true
        var s = Int(hash) & slotMask
        while slots[s] != Self.none { s = (s + 1) & slotMask }
        slots[s] = index
        count += 1
        return index
    }

    /// Removes entry `index` from the index and every list and recycles it.
    func remove(_ index: UInt32) {
        let hash = entries[Int(index)].key.hash32
        var s = Int(hash) & slotMask
        while slots[s] != index { s = (s + 1) & slotMask }
        // Backward-shift deletion: move later members of the probe run into the hole when their
        // home slot allows it, so lookups never need tombstones.
        var hole = s
        var next = (hole + 1) & slotMask
        while slots[next] != Self.none {
            let home = Int(entries[Int(slots[next])].key.hash32) & slotMask
            // Can the element at `next` move to `hole`? Only if `home` is not in (hole, next].
            let distHome = (next - home) & slotMask
            let distHole = (next - hole) & slotMask
            if distHome >= distHole {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & slotMask
        }
        slots[hole] = Self.none
        unlinkActivity(index)
        unlinkInterim(index)
        entries[Int(index)].inUse = false
        entries[Int(index)].activityNext = freeHead
        freeHead = index
        count -= 1
    }

    // MARK: Activity lists

    /// Moves `index` to the tail of its class's list (call after `lastNanos` or the class changed).
    @inline(__always)
    func touch(_ index: UInt32, class newClass: TimeoutClass) {
        unlinkActivity(index)
        entries[Int(index)].timeoutClass = newClass
        let c = Int(newClass.rawValue)
        let tail = activityTail[c]
        entries[Int(index)].activityPrev = tail
        entries[Int(index)].activityNext = Self.none
        if tail == Self.none { activityHead[c] = index } else { entries[Int(tail)].activityNext = index }
        activityTail[c] = index
    }

    @inline(__always)
    private func unlinkActivity(_ index: UInt32) {
        let e = entries + Int(index)
        let prev = e.pointee.activityPrev, next = e.pointee.activityNext
        let c = Int(e.pointee.timeoutClass.rawValue)
        if prev == Self.none {
            guard activityHead[c] == index else { return }  // not linked
            activityHead[c] = next
        } else {
            entries[Int(prev)].activityNext = next
        }
        if next == Self.none { activityTail[c] = prev } else { entries[Int(next)].activityPrev = prev }
        e.pointee.activityPrev = Self.none
        e.pointee.activityNext = Self.none
    }

    // MARK: Interim list (ordered by last report time)

    /// Appends `index` to the interim list (at creation and after each interim report).
    func appendInterim(_ index: UInt32) {
        unlinkInterim(index)
        entries[Int(index)].interimPrev = interimTail
        entries[Int(index)].interimNext = Self.none
        if interimTail == Self.none { interimHead = index } else { entries[Int(interimTail)].interimNext = index }
        interimTail = index
    }

    private func unlinkInterim(_ index: UInt32) {
        let e = entries + Int(index)
        let prev = e.pointee.interimPrev, next = e.pointee.interimNext
        if prev == Self.none {
            guard interimHead == index else { return }
            interimHead = next
        } else {
            entries[Int(prev)].interimNext = next
        }
        if next == Self.none { interimTail = prev } else { entries[Int(next)].interimPrev = prev }
        e.pointee.interimPrev = Self.none
        e.pointee.interimNext = Self.none
    }

    /// The live entry idle for longest (the oldest head of the activity lists), or `none`.
    func oldestIdle() -> UInt32 {
        var best = Self.none
        var bestTime = Int64.max
        for head in activityHead where head != Self.none {
            let t = entries[Int(head)].lastNanos
            if t < bestTime { bestTime = t; best = head }
        }
        return best
    }
}
