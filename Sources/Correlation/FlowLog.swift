/// The recent `conn`/`txn` records kept in memory (the store keeps them too, and answers first),
/// and the last `service_seen` record per service. Guarded by the correlator's state lock (a value
/// owned by `Correlator`).
struct FlowLog {
    private let maxInMemory: Int
    /// How long flows are kept, by packet time relative to the newest one.
    let retention: Double
    private(set) var flows: [FlowRecord] = []
    /// Packet time of the newest flow (0: none yet): the retention's reference, not the clock,
    /// so a replayed capture keeps its flows.
    private(set) var newestTS = 0.0
    /// Kept as received; nothing reads it yet.
    private var seenServices: [String: ServiceSeenRecord] = [:]

    init(maxInMemory: Int, retention: Double) {
        self.maxInMemory = maxInMemory
        self.retention = retention
    }

    mutating func append(_ f: FlowRecord) {
        flows.append(f)
        newestTS = max(newestTS, f.ts)
        if flows.count > maxInMemory { flows.removeFirst(flows.count - maxInMemory) }
    }

    mutating func noteSeen(_ seen: ServiceSeenRecord) { seenServices[seen.service] = seen }

    /// Drops the flows older than the retention; the cut-off (for the store), nil before any flow.
    mutating func dropExpired() -> Double? {
        guard newestTS > 0 else { return nil }
        flows.removeAll { $0.ts < newestTS - retention }
        return newestTS - retention
    }

    /// Newest first.
    func recent(service: String?, limit: Int) -> [FlowRecord] {
        Array(flows.reversed().filter { service == nil || $0.service == service }.prefix(limit))
    }
}
