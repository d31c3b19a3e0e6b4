/// Settings of the on-disk spool every exported record passes through.
public struct SpoolConfig: Sendable, Hashable {
    /// Directory of the spool (the agent uses `STORE/spool`).
    public var directory: String
    /// Most bytes the spool may hold. Beyond shares of it, lower-priority kinds are refused
    /// (`txn` above 70 %, `conn` above 85 %, others above 95 %); `service_state` is always
    /// admitted. Default 1 GiB.
    public var maxBytes: UInt64 = 1 << 30
    /// A spool segment is closed and a new one started beyond this size. Default 16 MiB.
    public var segmentBytes: UInt64 = 16 << 20
    /// Appended records are written and fsynced at least this often. Default 0.2 s: a crash
    /// loses at most this much of records not yet delivered.
    public var flushInterval: Double = 0.2

    public init(directory: String) { self.directory = directory }
}

/// Counters of the spool, for `agent_health` and `vigie-agent status`.
public struct SpoolStats: Sendable, Hashable, Codable {
    /// Records accepted, per kind name.
    public var appended: [String: UInt64] = [:]
    /// Records refused because the spool was full, per kind name.
    public var dropped: [String: UInt64] = [:]
    /// Damaged records skipped when reading back (after a crash or disk corruption).
    public var corruptSkipped: UInt64 = 0
    /// Bytes in spool segments on disk plus bytes waiting to be written.
    public var bytes: UInt64 = 0
    /// The most the spool holds (`export.spool.max_size`); records beyond are dropped, counted.
    public var quotaBytes: UInt64 = 0
    public var segments: Int = 0
    /// Next sequence number to be assigned.
    public var nextSeq: UInt64 = 0
    /// Records written and fsynced: readable by the sinks.
    public var durableSeq: UInt64 = 0
    /// Per sink: records not yet confirmed (durableSeq − cursor).
    public var pending: [String: UInt64] = [:]
    /// Per sink: seconds since its oldest unconfirmed record became durable (0 with none), within
    /// about a second.
    public var backlogAgeSeconds: [String: Double] = [:]
    /// A write problem being retried (e.g. disk full), if any.
    public var writeError: String?

    public init() {}
}
