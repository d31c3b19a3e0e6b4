#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Configuration of the ``RecordEmitter``. Times are packet-time nanoseconds unless noted.
public struct RecordEmitterConfig: Sendable {
    /// The agent's id (`agent_id` of every record).
    public var agentID: String
    /// Boot epoch (`epoch` of every record): fixed for the life of the process, larger at each
    /// start. ``RecordEmitterConfig/bootEpoch()`` gives the usual value.
    public var epoch: UInt64
    /// Successful transactions are sampled 1 in this many (deterministically, by a hash of the
    /// flow id and request time); errors are always kept. 1 keeps everything. Default 10.
    public var transactionSampleRate: Int = 10
    /// Whether `conn` records are written (the state machines and edges use observations, not
    /// conn records, so turning them off loses no service analytics). Default true.
    public var connRecords = true
    /// The service-state machines.
    public var services = ServiceStateConfig()
    /// Edge interval (default 60 s) and most edges per interval (default 50 000).
    public var edgeIntervalNanos: Int64 = 60_000_000_000
    public var maxEdges = 50_000
    /// `service_seen` re-announce interval. Default 1 h.
    public var seenReannounceNanos: Int64 = 3_600_000_000_000
    /// `agent_health` interval, aligned. Default 60 s.
    public var healthIntervalNanos: Int64 = 60_000_000_000

    public init(agentID: String, epoch: UInt64) {
        self.agentID = agentID
        self.epoch = epoch
    }

    /// Wall-clock milliseconds since the Unix epoch: a boot epoch that grows across restarts as
    /// long as the clock does not go back more than the restart takes.
    public static func bootEpoch() -> UInt64 { UInt64(max(0, wallClockNanos() / 1_000_000)) }

    /// The agent's wall clock (CLOCK_REALTIME), ns since the Unix epoch (for `agent_ts`).
    @Sendable public static func wallClockNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}
