/// The pairs of a field whose keys fit 16 bits (network kind, IP protocol, ports, VLAN ids), kept
/// as two parallel arrays. Grouping them by key is then one counting sort that reads 2-byte keys
/// and moves 4-byte ordinals — a third of the memory traffic of sorting packed 8-byte pairs, which
/// is what bounds the cost of writing an index.
final class Key16Column {
    let keys: FlatBuffer<UInt16>
    let ordinals: FlatBuffer<UInt32>

    init(capacity: Int) {
        keys = FlatBuffer(capacity: capacity)
        ordinals = FlatBuffer(capacity: capacity)
    }

    /// Exchanges storage with `other` (see ``FlatBuffer/swapStorage(with:)``).
    func swapStorage(with other: Key16Column) {
        keys.swapStorage(with: other.keys)
        ordinals.swapStorage(with: other.ordinals)
    }

    var count: Int { keys.count }

    @inline(__always)
    func append(_ key: UInt16, _ ordinal: UInt32) {
        keys.append(key)
        ordinals.append(ordinal)
    }

    func removeAll() {
        keys.removeAll()
        ordinals.removeAll()
    }

    /// Groups the pairs `range` by key: calls `body(key, ordinals)` for each key in ascending order,
    /// with that key's ordinals ascending (the scatter is stable and the input in ordinal order).
    /// One counting sort over 65,536 buckets (measured faster than a two-level byte partition).
    func forEachKey(in range: Range<Int>, _ body: (UInt16, UnsafeBufferPointer<UInt32>) -> Void) {
        let n = range.count
        guard n > 0 else { return }
        // 32-bit counters: the 256 KiB table stays in L2, where the random increments land.
        let counts = UnsafeMutablePointer<UInt32>.allocate(capacity: 1 << 16)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: 1 << 16)
        let k = keys.base + range.lowerBound
        let o = ordinals.base + range.lowerBound
        for i in 0..<n { counts[Int(k[i])] &+= 1 }
        let sorted = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
        defer { sorted.deallocate() }
        var sum: UInt32 = 0
        for key in 0..<(1 << 16) {
            let c = counts[key]
            counts[key] = sum
            sum &+= c
        }
        for i in 0..<n {
            let key = Int(k[i])
            sorted[Int(counts[key])] = o[i]
            counts[key] &+= 1
        }
        // counts[key] is now the end of key's run; runs are contiguous in key order.
        var start = 0
        for key in 0..<(1 << 16) where Int(counts[key]) > start {
            body(UInt16(key), UnsafeBufferPointer(start: sorted + start, count: Int(counts[key]) - start))
            start = Int(counts[key])
        }
    }
}
