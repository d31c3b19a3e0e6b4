import Records

/// Agent-wide counters the agent fills and the ``RecordEmitter`` encodes as `agent_health`.
/// Counters are cumulative since the agent started (this epoch); the receiver takes differences.
public struct AgentHealth: Sendable, Hashable {
    /// Packets received from the capture source and dropped by it (kernel/ring drops).
    public var packetsReceived: UInt64 = 0
    public var packetsDropped: UInt64 = 0
    /// Packets dropped by the agent itself (queues full).
    public var packetsDroppedByAgent: UInt64 = 0
    /// Flows in the flow table now, and flows evicted (table full) so far.
    public var flowsActive: UInt64 = 0
    public var flowEvictions: UInt64 = 0
    /// Decode anomalies (truncated or malformed headers).
    public var anomalies: UInt64 = 0
    /// Bytes used by the packet store, when the agent stores packets.
    public var storeBytes: UInt64 = 0
    /// Base URL of this agent's packet query API (`GET {url}/api/v1/packets`), when it serves one:
    /// how the server finds the agent to drill down to packets.
    public var queryAPI: String?
    /// What the TCP stream reassembly held and gave up, when application analysis runs.
    public var reassembly: StreamReassemblyCounters?
    /// Packets analytics did not account for, per reason (written as `analytics_shed`).
    public var shed: AnalyticsShedCounters?
    /// The export sinks' delivery counters, when the agent exports (written as `sinks`).
    public var sinks: [SinkStats] = []

    public init() {}
}
