// The one definition of an edge window's figures: the parser fills it, the server's history sums it.
/// The counters and latency histograms of an `edge` window (docs/records.md), and of any sum of
/// windows (the server's metric history, docs/history.md): counters add, latency histograms merge bucket by bucket
/// (so percentiles over an hour come from all its samples, never from averaged percentiles).
/// Additions saturate: counters come from records, which the server does not trust.
public struct EdgeSums: Sendable, Hashable {
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

    public mutating func merge(_ other: EdgeSums) {
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
}
