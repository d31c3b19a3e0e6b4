/// Tunables of the correlation engine (seconds).
public struct CorrelatorConfig: Sendable {
    /// An agent with no record (any kind) for this long is stale: its views count as UNKNOWN.
    public var agentStaleAfter: Double = 180
    /// A view (one agent's `service_state` of one service) not refreshed for this long is UNKNOWN.
    public var viewStaleAfter: Double = 600
    /// Flapping: `flapThreshold` state changes within `flapWindow`.
    public var flapThreshold = 5
    public var flapWindow: Double = 600
    public var dependencyStaleAfter: Double = 3600
    public var dependencyGoneAfter: Double = 7 * 86400
    /// `conn`/`txn` records are kept this long (by packet time relative to the newest one) and at most `maxFlowsInMemory` in memory.
    public var flowRetention: Double = 3600
    public var maxFlowsInMemory = 10_000
    /// Seqs remembered above the contiguous high-water mark, per (agent, epoch).
    public var dedupMaxAbove = 1024
    /// Idempotency keys remembered.
    public var maxIdempotencyKeys = 10_000
    /// Malformed lines of a batch reported in full (the others are only counted).
    public var maxReportedErrors = RecordParser.defaultMaxErrors
    /// The metric history kept from the agents' edge windows (docs/history.md).
    public var history = HistoryConfig()
    /// Records from one Kafka partition (see `ingest(_:scope:)`) arrive in the order the agent sent
    /// them, so a duplicate there is any seq at or below the highest seen in that scope.
    public init() {}
}

/// Counters for `/metrics`.
public struct CorrelatorMetrics: Sendable {
    public var recordsIngested = 0
    public var duplicates = 0
    public var rejected = 0
    public var unknownKinds = 0
    public var batches = 0
    public var replayedBatches = 0
    public var stateChanges = 0
    public var propagations = 0
    public var propagationSeconds = 0.0
    public var lastPropagationSeconds = 0.0
    public var nodesRecomputed = 0
    public var nodes = 0
    public var nodesByState: [Health: Int] = [:]
    public var agents = 0
    public var staleAgents = 0
    public var dependencies = 0
    public var subscribers = 0
    /// Writes the store refused (each change undone, its sender answered to retry).
    public var storageFailures = 0
}
