/// A growable array of plain values with no copy-on-write or uniqueness checks: the builder
/// appends to these once or more per packet, so an append must be a bounds check and a store.
/// Capacity doubles, so appends allocate only O(log n) times over a segment.
final class FlatBuffer<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Exchanges storage (and contents) with `other`. `sealed()` uses it to hand a segment's data
    /// over while taking back the already-faulted-in storage of an index written earlier.
    ///
    /// Plain assignments, not `swap(&a, &b)`: two overlapping inout accesses to these properties
    /// would make the optimizer keep dynamic exclusivity checks on every `append` (measured: twice
    /// the indexing CPU time).
    func swapStorage(with other: FlatBuffer<Element>) {
        let (myBase, myCount, myCapacity) = (base, count, capacity)
        base = other.base
        count = other.count
        capacity = other.capacity
        other.base = myBase
        other.count = myCount
        other.capacity = myCapacity
    }

    @inline(__always)
    func append(_ element: Element) {
        if count == capacity { grow() }
        (base + count).initialize(to: element)
        count += 1
    }

    private func grow() {
        let newCapacity = capacity * 2
        let grown = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        grown.moveInitialize(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    @inline(__always)
    subscript(i: Int) -> Element { base[i] }

    /// The elements `range` as a buffer (valid until the next append).
    func slice(_ range: Range<Int>) -> UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// A copy of `range`, for sorting without disturbing the builder.
    func copy(_ range: Range<Int>) -> [Element] { Array(slice(range)) }

    func removeAll() { count = 0 }

    /// Drops the last `k` elements (BitwiseCopyable elements: nothing to deinitialise).
    func removeLast(_ k: Int) { count -= min(k, count) }
}
