/// What one service did during one window: the evidence a verdict is based on.
public struct WindowEvidence: Sendable, Hashable {
    /// Observation counts of the window, by ``ServiceObservation/Kind``.
    public var attempts = 0
    public var established = 0
    public var refused = 0
    public var unanswered = 0
    public var resets = 0
    public var transactions = 0
    /// Transactions with ``ServiceObservation/isError``.
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
