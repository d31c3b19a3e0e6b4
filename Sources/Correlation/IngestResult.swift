/// The outcome of one ingested batch.
public struct IngestResult: Sendable {
    public var accepted = 0
    public var duplicates = 0
    public var unknownKinds = 0
    /// The first malformed lines (at most `CorrelatorConfig.maxReportedErrors`), in line order.
    public var errors: [LineError] = []
    /// Malformed lines in all (`errors` holds the first ones only).
    public var errorCount = 0
    /// The whole batch was refused before anything was applied (``IngestRejection``).
    public var rejection: IngestRejection?
    /// State changes the batch caused.
    public var changes = 0
    /// The batch's idempotency key was already applied: nothing was done.
    public var replayed = false
    /// Why the batch was not stored (the write failed, or the stored duplicate marks could not be
    /// read); `refused` is then set.
    public var storageError: String?
    /// Nothing was applied (the write was refused and undone, or the stored duplicate marks could
    /// not be read): send the batch again; it will be applied once.
    public var refused = false
}

/// Why a whole batch was refused (nothing applied).
public struct IngestRejection: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A record's `agent_id` is not the agent of the bearer token (HTTP 403).
        case foreignAgent
        /// An `Idempotency-Key` batch without a token mixes agent ids: the key cannot be scoped (HTTP 400).
        case mixedAgents
    }
    public var kind: Kind
    /// The 1-based line at fault.
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}
