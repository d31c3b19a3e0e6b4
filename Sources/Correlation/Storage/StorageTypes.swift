import Foundation

/// Everything the server reloads at restart.
public struct StoredState: Sendable {
    public var inventory: Inventory?
    public var views: [AgentView]
    public var agents: [AgentInfo]
    public var dedup: [DedupTracker.Key: DedupTracker.Mark]
    public var dependencies: [ObservedDependency]
    public var maintenance: [MaintenanceWindow]
    public var acknowledgements: [Acknowledgement]
    public var lastStates: [String: Health]
    public var idempotencyKeys: [String]
}

/// One recorded state change of a node (status history, for SLA figures).
public struct HistoryEntry: Sendable, Hashable, Codable {
    public var node: String
    /// Server time, seconds since 1970.
    public var at: Double
    public var state: Health
    public var previous: Health?
    public var causes: [String]
}

/// A `conn`/`txn` record kept for drill-down.
public struct FlowRecord: Sendable, Hashable, Codable {
    public var agent: String
    public var kind: String
    public var service: String?
    /// Packet time of the record (`ts`), seconds since 1970.
    public var ts: Double
    public var line: String
}

/// What one ingested batch (or API change) writes, in one transaction.
public struct StoreBatch: Sendable {
    public var views: [AgentView] = []
    public var agents: [AgentInfo] = []
    public var dedup: [(DedupTracker.Key, DedupTracker.Mark)] = []
    public var dependencies: [ObservedDependency] = []
    public var history: [HistoryEntry] = []
    public var flows: [FlowRecord] = []
    public var idempotencyKey: String?
    public var inventory: Inventory?
    public var maintenance: [MaintenanceWindow]?
    public var acknowledgements: [Acknowledgement]?
    /// Metric history: sums to ADD to the stored rows (merged with what is there).
    public var metrics: [MetricRowKey: MetricSums] = [:]
    public init() {}
    public var isEmpty: Bool {
        views.isEmpty && agents.isEmpty && dedup.isEmpty && dependencies.isEmpty && history.isEmpty && flows.isEmpty && metrics.isEmpty
            && idempotencyKey == nil && inventory == nil && maintenance == nil && acknowledgements == nil
    }
}

/// What other server instances changed in a shared store since a cursor (see `CorrelationStorage.changes(since:)`).
public struct SharedChanges: Sendable {
    /// Pass it to the next `changes(since:)`.
    public var cursor: Int64
    public var views: [AgentView] = []
    public var agents: [AgentInfo] = []
    public var inventory: Inventory?
    public var maintenance: [MaintenanceWindow]?
    public var acknowledgements: [Acknowledgement]?
    public init(cursor: Int64) { self.cursor = cursor }
    public var isEmpty: Bool { views.isEmpty && agents.isEmpty && inventory == nil && maintenance == nil && acknowledgements == nil }
}

/// Where the correlator keeps its state. `SQLiteStore` is the embedded default (one server);
/// `PostgresStore` is shared by several server instances of one Kafka consumer group.
///
/// Calls may come from several threads; implementations serialize them.
public protocol CorrelationStorage: AnyObject, Sendable {
    /// Everything the server reloads at restart.
    func load() throws -> StoredState
    /// Writes one batch in one transaction: all or nothing.
    func write(_ batch: StoreBatch) throws
    /// The most recent state changes of a node, newest first.
    func history(node: String, limit: Int) throws -> [HistoryEntry]
    /// The state before `from` (dated `from`) then every change in `[from, to)`, oldest first.
    func historyRows(node: String, from: Double, to: Double) throws -> [(at: Double, state: Health)]
    /// Recent `conn`/`txn` records of a service (or all), newest first.
    func flows(service: String?, limit: Int) throws -> [FlowRecord]
    /// Drops flow records with packet time before `flowsBefore`, idempotency keys older than `keysBefore`.
    func prune(flowsBefore: Double, keysBefore: Double) throws
    /// True when other server instances write to the same store (their changes must be read back).
    var isShared: Bool { get }
    /// Views, agents, inventory, maintenance and acknowledgements written (by any instance) after `cursor`.
    func changes(since cursor: Int64) throws -> SharedChanges
    /// The duplicate marks whose key's agent starts with `prefix` (Kafka partition scopes), as stored now.
    func dedupMarks(prefix: String) throws -> [DedupTracker.Key: DedupTracker.Mark]
    /// Throws when the database does not answer (`/readyz`).
    func ping() throws
    /// The stored points of a series at one scale with bucket start in `[from, to)`, oldest first.
    func series(_ series: SeriesKey, scale: HistoryScale, from: Int64, to: Int64) throws -> [MetricPoint]
    /// Drops the history rows of each scale whose bucket starts before its cutoff (seconds since 1970).
    func pruneHistory(before cutoffs: [HistoryScale: Int64]) throws
}

extension CorrelationStorage {
    public var isShared: Bool { false }
    public func changes(since cursor: Int64) throws -> SharedChanges { SharedChanges(cursor: cursor) }
    public func dedupMarks(prefix: String) throws -> [DedupTracker.Key: DedupTracker.Mark] { [:] }
    /// An embedded database is there while the process is.
    public func ping() throws {}
    /// A store without a history keeps none.
    public func series(_ series: SeriesKey, scale: HistoryScale, from: Int64, to: Int64) throws -> [MetricPoint] { [] }
    public func pruneHistory(before cutoffs: [HistoryScale: Int64]) throws {}

    /// Seconds spent in each state by a node over `[from, to)`, from the history (the state before
    /// `from` is the last change before it). Time before the first record counts as UNKNOWN.
    public func timeInStates(node: String, from: Double, to: Double) throws -> [Health: Double] {
        var result: [Health: Double] = [:]
        var cursor = from, current: Health = .unknown
        for (at, s) in try historyRows(node: node, from: from, to: to) {
            result[current, default: 0] += max(0, at - cursor)
            cursor = max(cursor, at); current = s
        }
        result[current, default: 0] += max(0, to - cursor)
        return result.filter { $0.value > 0 }
    }
}
