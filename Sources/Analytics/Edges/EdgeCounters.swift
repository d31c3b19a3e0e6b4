import PacketDecoding

/// A dependency edge: a client using a service.
public struct EdgeKey: Sendable, Hashable {
    public var client: IPAddress
    public var service: ServiceKey

    public init(client: IPAddress, service: ServiceKey) {
        self.client = client
        self.service = service
    }
}

/// What one edge did during one interval: delta counters (since the previous interval) and
/// latency histograms. Every field is additive, so edges merge across agents and intervals.
public struct EdgeCounters: Sendable, Hashable {
    public var attempts: UInt64 = 0
    public var established: UInt64 = 0
    public var refused: UInt64 = 0
    public var unanswered: UInt64 = 0
    public var resets: UInt64 = 0
    public var transactions: UInt64 = 0
    public var transactionErrors: UInt64 = 0
    /// Payload bytes client → server and server → client.
    public var bytesToServer: UInt64 = 0
    public var bytesToClient: UInt64 = 0
    public var retransmissions: UInt64 = 0
    /// Handshake RTT (server leg) of established connections.
    public var rtt = LatencyHistogram()
    /// Response time of transactions.
    public var responseTime = LatencyHistogram()

    public init() {}

    /// Counts one observation.
    public mutating func add(_ o: ServiceObservation) {
        switch o.kind {
        case .attempt: attempts += 1
        case .established:
            established += 1
            rtt.add(nanos: o.latencyNanos)
        case .refused: refused += 1
        case .unanswered: unanswered += 1
        case .reset: resets += 1
        case .transaction:
            transactions += 1
            if o.isError { transactionErrors += 1 }
            responseTime.add(nanos: o.latencyNanos)
        case .traffic:
            bytesToServer &+= o.bytesToServer
            bytesToClient &+= o.bytesToClient
            retransmissions &+= UInt64(o.retransmissions)
        }
    }

    /// Adds `other` field by field.
    public mutating func merge(_ other: EdgeCounters) {
        attempts += other.attempts
        established += other.established
        refused += other.refused
        unanswered += other.unanswered
        resets += other.resets
        transactions += other.transactions
        transactionErrors += other.transactionErrors
        bytesToServer &+= other.bytesToServer
        bytesToClient &+= other.bytesToClient
        retransmissions &+= other.retransmissions
        rtt.merge(other.rtt)
        responseTime.merge(other.responseTime)
    }
}

/// One `edge` record: an edge's counters over one closed interval.
public struct EdgeReport: Sendable, Hashable {
    public var edge: EdgeKey
    public var application: ApplicationProtocol
    public var intervalStartNanos: Int64
    public var intervalEndNanos: Int64
    public var counters: EdgeCounters
}
