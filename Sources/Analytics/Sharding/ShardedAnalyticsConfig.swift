/// How flow analytics is spread over threads (``ShardedAnalytics``).
public struct ShardedAnalyticsConfig: Sendable, Hashable {
    /// Analytics workers (flow tracking, application parsing, `conn`/`txn` encoding). Default:
    /// the machine's cores minus one (the capture thread's), at least 1.
    public var workers: Int = ShardedAnalyticsConfig.defaultWorkers
    /// Bytes of each worker's packet ring (rounded up to a power of two). Default 32 MiB: about
    /// 40,000 packets of 700 bytes, 25 ms of a 10 Gb/s link, to ride out a worker's stall.
    public var ringBytes: Int = 32 << 20
    /// What the capture thread does when a worker's ring is full: `true` waits for room (replaying
    /// a file: nothing is lost, the replay slows down), `false` sheds the packet from analytics
    /// (live capture: storage must not wait). Shed packets are counted.
    public var waitWhenFull = true
    /// Packet time between marks (the points where the merger applies observations and moves
    /// windows on). Default 100 ms.
    public var markIntervalNanos: Int64 = 100_000_000
    /// The threads start only at ``ShardedAnalytics/start()`` (benchmarks fill the rings first, so
    /// the timed part is the workers' alone). Default false: they start at once.
    public var startsSuspended = false

    public init() {}

    public static var defaultWorkers: Int {
        #if canImport(Glibc)
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) - 1)
        #else
        1
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif
