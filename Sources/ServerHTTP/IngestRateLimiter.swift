import Foundation

/// Per-agent token buckets over ingested records: an agent that floods the server gets 429 with
/// `Retry-After` (its HTTP sink backs off and resends from its spool: nothing is lost) while the
/// other agents go on. Each agent may send `recordsPerSecond` on average and bursts of
/// `burstSeconds` worth; a batch larger than the whole burst is admitted when the bucket is full
/// (the debt then delays the next ones).
public final class IngestRateLimiter: @unchecked Sendable {
    // @unchecked: `buckets` and the counters are only touched under `lock`.
    private let lock = NSLock()
    public let recordsPerSecond: Double
    public let burstSeconds: Double
    private var buckets: [String: (tokens: Double, at: Double)] = [:]
    private var throttled: [String: (batches: Int, records: Int)] = [:]
    private let clock: @Sendable () -> Double

    public init(recordsPerSecond: Double, burstSeconds: Double = 10, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.recordsPerSecond = recordsPerSecond
        self.burstSeconds = burstSeconds
        self.clock = clock
    }

    private var capacity: Double { recordsPerSecond * burstSeconds }

    /// nil when `agent` may send `records` now (they are taken from its bucket), else the seconds
    /// to wait before the batch would be admitted (counted as throttled).
    public func admit(agent: String, records: Int) -> Double? {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        var b = buckets[agent] ?? (capacity, now)
        b.tokens = min(capacity, b.tokens + max(0, now - b.at) * recordsPerSecond)
        b.at = now
        let n = Double(records)
        if n <= b.tokens || b.tokens >= capacity {
            b.tokens -= n
            buckets[agent] = b
            return nil
        }
        buckets[agent] = b
        throttled[agent, default: (0, 0)].batches += 1
        throttled[agent, default: (0, 0)].records += records
        return (min(n, capacity) - b.tokens) / recordsPerSecond
    }

    /// Throttled batches and records per agent, for `/metrics`.
    public func throttledCounts() -> [(agent: String, batches: Int, records: Int)] {
        lock.lock()
        defer { lock.unlock() }
        return throttled.map { ($0.key, $0.value.batches, $0.value.records) }.sorted { $0.agent < $1.agent }
    }

    /// Records of an NDJSON body: its lines that hold something other than spaces, tabs and a
    /// final CR (blank lines are not records and cost the agent nothing).
    static func lineCount(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { p in
            var n = 0
            var blank = true
            for b in p {
                switch b {
                case 0x0A:
                    if !blank { n += 1 }
                    blank = true
                case 0x20, 0x09, 0x0D: break
                default: blank = false
                }
            }
            return n + (blank ? 0 : 1)
        }
    }
}
