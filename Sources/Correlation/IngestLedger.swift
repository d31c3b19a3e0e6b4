/// What the server has already taken in, so that nothing is applied twice: the duplicate marks per
/// (agent, epoch) and per ordered scope (Kafka partition), and the Idempotency-Keys of applied
/// batches. Guarded by the correlator's state lock (a value owned by `Correlator`).
///
/// The atomic batch (docs/server.md) will check and mark here on a copy, persist the copy's dirty
/// marks and key with the batch, and keep the copy only once the write succeeded.
struct IngestLedger {
    /// Duplicate marks of unordered sources (HTTP), keyed by agent.
    private var dedup: DedupTracker
    /// Duplicate marks of ordered scopes (Kafka partitions), keyed `scope|agent`.
    private var scopedDedup: DedupTracker
    /// Applied keys (a set; the value is unused) and their arrival order, for eviction.
    private var appliedKeys: [String: Int] = [:]
    private var keyOrder: [String] = []
    private let maxKeys: Int

    /// `keys`: the stored keys, newest first.
    init(config: CorrelatorConfig, marks: [DedupTracker.Key: DedupTracker.Mark], keys: [String]) {
        dedup = DedupTracker(maxAbove: config.dedupMaxAbove, marks: marks.filter { !Self.isScoped($0.key.agent) })
        scopedDedup = DedupTracker(maxAbove: 0, marks: marks.filter { Self.isScoped($0.key.agent) })
        maxKeys = config.maxIdempotencyKeys
        for k in keys.reversed() { remember(k) }
    }

    static func isScoped(_ key: String) -> Bool { key.hasPrefix("kafka:") }

    func hasApplied(_ scopedKey: String) -> Bool { appliedKeys[scopedKey] != nil }

    /// Remembers an applied key; the oldest ones beyond `maxIdempotencyKeys` are forgotten.
    mutating func remember(_ key: String) {
        if appliedKeys[key] != nil { return }
        appliedKeys[key] = 1
        keyOrder.append(key)
        if keyOrder.count > maxKeys {
            let drop = keyOrder.count - maxKeys
            for k in keyOrder.prefix(drop) { appliedKeys[k] = nil }
            keyOrder.removeFirst(drop)
        }
    }

    /// Raises ordered-scope marks to what another instance stored (a partition moved here).
    mutating func raiseScoped(to stored: [DedupTracker.Key: DedupTracker.Mark]) {
        for (k, m) in stored { scopedDedup.raise(k, to: m.high) }
    }

    /// Marks a record seen; false when it was already (a duplicate).
    mutating func insert(agent: String, epoch: Int64, seq: Int64, scope: String?) -> Bool {
        scope.map { scopedDedup.insert(agent: $0 + "|" + agent, epoch: epoch, seq: seq) }
            ?? dedup.insert(agent: agent, epoch: epoch, seq: seq)
    }

    /// The marks changed since the last call, to store.
    mutating func takeDirtyMarks() -> [(DedupTracker.Key, DedupTracker.Mark)] {
        dedup.takeDirty() + scopedDedup.takeDirty()
    }
}
