import Records

/// The sums of edge windows over a bucket: counters add, latency histograms merge bucket by bucket
/// (so percentiles over an hour come from all its samples, never from averaged percentiles).
/// Additions saturate: counters come from records, which the server does not trust.
public struct MetricSums: Sendable, Hashable {
    public var attempts: Int64 = 0
    public var established: Int64 = 0
    public var refused: Int64 = 0
    public var unanswered: Int64 = 0
    public var resets: Int64 = 0
    public var transactions: Int64 = 0
    public var errors: Int64 = 0
    public var bytesToServer: Int64 = 0
    public var bytesToClient: Int64 = 0
    /// TCP handshake round-trip times.
    public var rtt = LatencyHistogram()
    /// Application response times (request to first response byte).
    public var responseTime = LatencyHistogram()

    public init() {}

    /// The sums of one edge window.
    public init(_ w: EdgeWindow) {
        attempts = w.attempts; established = w.established; refused = w.refused; unanswered = w.unanswered
        resets = w.resets; transactions = w.transactions; errors = w.transactionErrors
        bytesToServer = w.bytesToServer; bytesToClient = w.bytesToClient
        rtt = w.rtt; responseTime = w.responseTime
    }

    /// The counters in storage order (the stores' columns).
    public var counters: [Int64] {
        get { [attempts, established, refused, unanswered, resets, transactions, errors, bytesToServer, bytesToClient] }
        set {
            guard newValue.count == Self.counterNames.count else { return }
            attempts = newValue[0]; established = newValue[1]; refused = newValue[2]; unanswered = newValue[3]
            resets = newValue[4]; transactions = newValue[5]; errors = newValue[6]
            bytesToServer = newValue[7]; bytesToClient = newValue[8]
        }
    }

    /// Column names of ``counters``.
    public static let counterNames = ["attempts", "established", "refused", "unanswered", "resets", "transactions", "errors",
                                      "bytes_to_server", "bytes_to_client"]

    public mutating func merge(_ other: MetricSums) {
        func add(_ a: inout Int64, _ b: Int64) {
            let (sum, overflow) = a.addingReportingOverflow(b)
            a = overflow ? (b > 0 ? .max : .min) : sum
        }
        add(&attempts, other.attempts); add(&established, other.established); add(&refused, other.refused)
        add(&unanswered, other.unanswered); add(&resets, other.resets); add(&transactions, other.transactions)
        add(&errors, other.errors); add(&bytesToServer, other.bytesToServer); add(&bytesToClient, other.bytesToClient)
        rtt.merge(other.rtt)
        responseTime.merge(other.responseTime)
    }

    /// Failed outcomes over outcomes, as the agent's service windows count it: (refused +
    /// unanswered + transaction errors) / (established + refused + unanswered + transactions); 0
    /// when there was none.
    public var errorRate: Double {
        let failed = Double(refused) + Double(unanswered) + Double(errors)
        let outcomes = Double(established) + Double(refused) + Double(unanswered) + Double(transactions)
        return outcomes > 0 ? failed / outcomes : 0
    }

    /// The value of a counter metric as an integer (exact, even saturated); nil for a rate or a percentile.
    public func integer(_ metric: HistoryMetric) -> Int64? {
        switch metric {
        case .attempts: attempts
        case .established: established
        case .refused: refused
        case .unanswered: unanswered
        case .resets: resets
        case .transactions: transactions
        case .errors: errors
        case .bytesToServer: bytesToServer
        case .bytesToClient: bytesToClient
        default: nil
        }
    }

    /// The value of one metric; nil for a percentile without samples.
    public func value(_ metric: HistoryMetric) -> Double? {
        switch metric {
        case .attempts: Double(attempts)
        case .established: Double(established)
        case .refused: Double(refused)
        case .unanswered: Double(unanswered)
        case .resets: Double(resets)
        case .transactions: Double(transactions)
        case .errors: Double(errors)
        case .errorRate: errorRate
        case .bytesToServer: Double(bytesToServer)
        case .bytesToClient: Double(bytesToClient)
        case .rttP50: rtt.quantileMicros(0.50).map { $0 / 1000 }
        case .rttP95: rtt.quantileMicros(0.95).map { $0 / 1000 }
        case .rttP99: rtt.quantileMicros(0.99).map { $0 / 1000 }
        case .responseP50: responseTime.quantileMicros(0.50).map { $0 / 1000 }
        case .responseP95: responseTime.quantileMicros(0.95).map { $0 / 1000 }
        case .responseP99: responseTime.quantileMicros(0.99).map { $0 / 1000 }
        }
    }
}

/// The metrics a series answers (`metrics=` of the series API). Percentiles are in milliseconds,
/// estimated from the merged histogram (±12.5 % of the value: the histogram's bucket width).
public enum HistoryMetric: String, CaseIterable, Sendable {
    case attempts, established, refused, unanswered, resets, transactions, errors
    case errorRate = "error_rate"
    case bytesToServer = "bytes_to_server"
    case bytesToClient = "bytes_to_client"
    case rttP50 = "rtt_p50_ms", rttP95 = "rtt_p95_ms", rttP99 = "rtt_p99_ms"
    case responseP50 = "response_p50_ms", responseP95 = "response_p95_ms", responseP99 = "response_p99_ms"
}
