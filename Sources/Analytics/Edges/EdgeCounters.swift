import Records
import PacketDecoding

/// A dependency edge: a client using a service.
public struct EdgeKey: Sendable, Hashable {
    /// The client address (ports are not part of an edge: one edge gathers all its flows).
    public var client: IPAddress
    /// The service it uses.
    public var service: ServiceKey

    public init(client: IPAddress, service: ServiceKey) {
        self.client = client
        self.service = service
    }
}

/// What one edge did during one interval: delta counters (since the previous interval) and
/// latency histograms. Every field is additive, so edges merge across agents and intervals.
public struct EdgeCounters: Sendable, Hashable {
    /// Connection attempts (TCP SYNs, first packets of UDP flows).
    public var attempts: UInt64 = 0
    /// TCP handshakes completed.
    public var established: UInt64 = 0
    /// Attempts answered by a RST or an ICMP unreachable.
    public var refused: UInt64 = 0
    /// Attempts without any answer.
    public var unanswered: UInt64 = 0
    /// Established connections reset.
    public var resets: UInt64 = 0
    /// Application transactions, and the failed ones among them.
    public var transactions: UInt64 = 0
    public var transactionErrors: UInt64 = 0
    /// Payload bytes client → server and server → client.
    public var bytesToServer: UInt64 = 0
    public var bytesToClient: UInt64 = 0
    /// Retransmitted segments, both directions.
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
    /// Application last recognised on the edge's flows.
    public var application: ApplicationProtocol
    /// The interval `[start, end)`, packet-time ns.
    public var intervalStartNanos: Int64
    public var intervalEndNanos: Int64
    /// Delta counters and histograms of the interval.
    public var counters: EdgeCounters
    /// The tunnel of the edge's first tunnelled observation in the interval (nil when untunnelled).
    public var tunnel: TunnelSummary? = nil
}
