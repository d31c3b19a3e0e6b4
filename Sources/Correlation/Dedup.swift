/// Duplicate detection by `(agent_id, epoch, seq)` with bounded memory.
///
/// Per `(agent_id, epoch)`: the highest contiguous seq seen (`high`: every seq ≤ high was seen)
/// plus the set of seqs seen above it (`above`, at most `maxAbove`). When `above` overflows, `high`
/// jumps to its smallest member minus one… and on: the missing seqs below are given up as lost
/// (a late arrival among them is then taken for a duplicate).
public struct DedupTracker: Sendable {
    public struct Key: Sendable, Hashable, Codable {
        public var agent: String
        public var epoch: Int64
        public init(agent: String, epoch: Int64) { self.agent = agent; self.epoch = epoch }
    }
    public struct Mark: Sendable, Hashable, Codable {
        public var high: Int64
        public var above: Set<Int64>
        public init(high: Int64 = 0, above: Set<Int64> = []) { self.high = high; self.above = above }
    }

    public private(set) var marks: [Key: Mark] = [:]
    public let maxAbove: Int
    /// Keys changed since the last `takeDirty()` (what storage must write).
    public private(set) var dirty: Set<Key> = []

    public init(maxAbove: Int = 1024, marks: [Key: Mark] = [:]) {
        self.maxAbove = maxAbove
        self.marks = marks
    }

    public func seen(agent: String, epoch: Int64, seq: Int64) -> Bool {
        guard let m = marks[Key(agent: agent, epoch: epoch)] else { return false }
        return seq <= m.high || m.above.contains(seq)
    }

    /// Records a seq; false when it was already there (a duplicate).
    public mutating func insert(agent: String, epoch: Int64, seq: Int64) -> Bool {
        let key = Key(agent: agent, epoch: epoch)
        var m = marks[key] ?? Mark()
        if seq <= m.high || m.above.contains(seq) { return false }
        if seq == m.high + 1 {
            m.high = seq
            while m.above.remove(m.high + 1) != nil { m.high += 1 }
        } else {
            m.above.insert(seq)
            while m.above.count > maxAbove, let low = m.above.min() {
                m.above.remove(low)
                m.high = low
                while m.above.remove(m.high + 1) != nil { m.high += 1 }
            }
        }
        marks[key] = m
        dirty.insert(key)
        return true
    }

    /// Raises a key's contiguous mark to at least `high` (marks another server instance stored).
    public mutating func raise(_ key: Key, to high: Int64) {
        var m = marks[key] ?? Mark()
        guard high > m.high else { return }
        m.high = high
        m.above = m.above.filter { $0 > high }
        while m.above.remove(m.high + 1) != nil { m.high += 1 }
        marks[key] = m
    }

    public mutating func takeDirty() -> [(Key, Mark)] {
        defer { dirty.removeAll() }
        return dirty.compactMap { k in marks[k].map { (k, $0) } }
    }
}
