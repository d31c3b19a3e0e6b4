/// Packets analytics did not account for, per reason (`agent_health.analytics_shed`, `status`).
/// Storage is never concerned: these packets were stored.
public struct AnalyticsShedCounters: Sendable, Hashable {
    /// Dropped by the capture thread because their worker's ring was full (live capture).
    public var ringFull: UInt64 = 0
    /// Dropped because larger than a ring can carry (half the ring).
    public var tooLarge: UInt64 = 0
    /// Packets of new flows not tracked: the flow budget was spent and their worker had no flow
    /// of its own to evict.
    public var flowBudget: UInt64 = 0

    public init() {}

    /// Packets the agent's own queues dropped (`packets_dropped_agent`).
    public var queueDrops: UInt64 { ringFull &+ tooLarge }
}

/// The capture side's figures, taken on the capture thread at each mark and carried to the
/// merger thread with it (`agent_health` is written there).
public struct CaptureFigures: Sendable, Hashable {
    public var packetsReceived: UInt64 = 0
    public var packetsDropped: UInt64 = 0
    public var storeBytes: UInt64 = 0

    public init(packetsReceived: UInt64 = 0, packetsDropped: UInt64 = 0, storeBytes: UInt64 = 0) {
        self.packetsReceived = packetsReceived
        self.packetsDropped = packetsDropped
        self.storeBytes = storeBytes
    }
}
