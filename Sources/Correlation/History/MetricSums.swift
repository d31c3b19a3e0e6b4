import Records

/// The history's sums of edge windows over a bucket: the record's own figures (``EdgeSums``).
public typealias MetricSums = EdgeSums

extension EdgeSums {
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
