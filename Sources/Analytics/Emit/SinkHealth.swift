/// One export sink's delivery counters as `agent_health` carries them (`sinks`): the server and
/// whoever reads the records see an agent whose records wait in its spool (a refused token, a wrong
/// URL) and why, not only that its records stopped coming.
public struct SinkHealth: Sendable, Hashable {
    /// The sink's name (`kafka`, `http`).
    public var name: String
    public var delivered: UInt64 = 0
    /// Records spooled, not yet confirmed by the destination.
    public var pending: UInt64 = 0
    public var retried: UInt64 = 0
    /// Records the destination declared malformed, set aside in the dead-letter file.
    public var deadLettered: UInt64 = 0
    /// Requests refused for their credentials (HTTP 401/403), their records kept and retried.
    public var authFailures: UInt64 = 0
    /// The last error, until the next success.
    public var lastError: String?

    public init(name: String) { self.name = name }
}
