import Synchronization

/// Which worker of a sharded analyzer an instance is (``ShardedAnalytics``): its flow ids are
/// `index + 1`, `index + 1 + count`, … so ids stay unique across workers without a shared
/// counter. The default is the unsharded analyzer (ids 1, 2, 3, …).
public struct AnalyzerShard: Sendable, Hashable {
    public var index: Int = 0
    public var count: Int = 1

    public init(index: Int = 0, count: Int = 1) {
        self.count = max(1, count)
        self.index = min(max(0, index), self.count - 1)
    }

    var firstFlowID: UInt64 { UInt64(index) + 1 }
    var flowIDStride: UInt64 { UInt64(count) }
}

/// The flow-table limit shared by the workers of a sharded analyzer: one atomic count of open
/// flows, taken when a flow is created and given back when it ends. A worker that finds the
/// budget spent evicts its own longest-idle flow (there is no global idle order across workers);
/// the count may pass the limit by at most one flow per worker.
public final class FlowBudget: Sendable {
    public let limit: Int
    private let open = Atomic<Int>(0)
    private let highest = Atomic<Int>(0)

    public init(limit: Int) { self.limit = max(1, limit) }

    /// Flows open across every worker.
    public var count: Int { open.load(ordering: .relaxed) }
    /// The most flows open at once so far.
    public var peak: Int { highest.load(ordering: .relaxed) }

    private func noteCount(_ n: Int) {
        var seen = highest.load(ordering: .relaxed)
        while n > seen {
            let (exchanged, original) = highest.compareExchange(expected: seen, desired: n, ordering: .relaxed)
            if exchanged { return }
            seen = original
        }
    }

    /// Takes one flow from the budget; false when it is spent.
    func take() -> Bool {
        var current = open.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged {
                noteCount(current + 1)
                return true
            }
            current = original
        }
        return false
    }

    /// Takes one flow whatever the count (after evicting one to make room).
    func force() { noteCount(open.add(1, ordering: .relaxed).newValue) }

    func give() { open.subtract(1, ordering: .relaxed) }
}
