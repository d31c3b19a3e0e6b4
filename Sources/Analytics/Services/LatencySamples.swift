/// A bounded set of latency samples with exact percentiles while under capacity and a uniform
/// reservoir sample (Vitter's algorithm R, deterministic generator) beyond it.
///
/// Used per service and per window by the state machines, where an exact p95 of the handful of
/// samples a quiet service produces matters more than the histogram's bucket resolution.
struct LatencySamples {
    private(set) var values: [Int64] = []
    /// Samples offered (kept or not).
    private(set) var seen: Int = 0
    private var rng: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func add(_ nanos: Int64, capacity: Int) {
        guard nanos >= 0 else { return }
        seen += 1
        if values.count < capacity {
            values.append(nanos)
            return
        }
        rng = rng &* 6364136223846793005 &+ 1442695040888963407
        let slot = Int((rng >> 33) % UInt64(seen))
        if slot < capacity { values[slot] = nanos }
    }

    mutating func reset() {
        values.removeAll(keepingCapacity: true)
        seen = 0
    }

    /// Percentiles by the nearest-rank method (`q` in 0...1), in ascending order of `qs`; empty
    /// when there is no sample.
    func percentiles(_ qs: [Double]) -> [Int64] {
        guard !values.isEmpty else { return [] }
        let sorted = values.sorted()
        return qs.map { q in
            let rank = Int((q * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank, 1), sorted.count) - 1]
        }
    }
}

/// What one service did during one window: the evidence a verdict is based on.
public struct WindowEvidence: Sendable, Hashable {
    public var attempts = 0
    public var established = 0
    public var refused = 0
    public var unanswered = 0
    public var resets = 0
    public var transactions = 0
    public var transactionErrors = 0
    /// `traffic` observations (byte counters): activity, and for non-TCP services a success when
    /// the server sent bytes (see ``answered``).
    public var trafficReports = 0
    /// Non-TCP flows the server answered (a `traffic` report with server bytes): the only success
    /// signal of a UDP service without a recognised application protocol.
    public var answered = 0
    /// Handshake RTT percentiles p50/p95/p99, ns; -1 when no sample.
    public var rttP50 = Int64(-1), rttP95 = Int64(-1), rttP99 = Int64(-1)
    /// Response time percentiles p50/p95/p99, ns; -1 when no sample.
    public var responseP50 = Int64(-1), responseP95 = Int64(-1), responseP99 = Int64(-1)

    public init() {}

    /// Connection outcomes plus transactions: the events that say whether the service works.
    public var outcomes: Int { established + answered + refused + unanswered + transactions }
    /// Any observation at all.
    public var activity: Int { attempts + outcomes + resets + trafficReports }
    /// Failed outcomes over all outcomes (0 when none).
    public var errorRate: Double {
        outcomes == 0 ? 0 : Double(refused + unanswered + transactionErrors) / Double(outcomes)
    }
    /// Successful outcomes: established connections, answered non-TCP flows, successful
    /// transactions.
    var successes: Int { established + answered + transactions - transactionErrors }
}
