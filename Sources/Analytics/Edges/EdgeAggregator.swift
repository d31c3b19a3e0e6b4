/// Aggregates service observations into `client → service` dependency edges per interval
/// (aligned on multiples of the interval in packet time) and reports each edge when its interval
/// closes. Memory is bounded: at most `maxEdges` edges per interval; observations of further
/// edges are counted in ``overflowObservations`` and dropped.
///
/// Owned by the analytics thread; not thread-safe.
public final class EdgeAggregator {
    /// Interval length, packet-time ns. Default 60 s.
    public let intervalNanos: Int64
    /// Most edges per interval. Default 50 000.
    public let maxEdges: Int
    /// Receives each edge of a closed interval, sorted by client then service.
    public var onReport: (EdgeReport) -> Void
    /// Observations dropped because the interval already had `maxEdges` edges (cumulative).
    public private(set) var overflowObservations: UInt64 = 0

    private var edges: [EdgeKey: (application: ApplicationProtocol, counters: EdgeCounters, tunnel: TunnelSummary?)] = [:]
    private var intervalStart: Int64?

    public init(intervalNanos: Int64 = 60_000_000_000, maxEdges: Int = 50_000,
                onReport: @escaping (EdgeReport) -> Void = { _ in }) {
        self.intervalNanos = intervalNanos
        self.maxEdges = maxEdges
        self.onReport = onReport
    }

    /// Edges in the open interval.
    public var edgeCount: Int { edges.count }

    /// Counts an observation (closing the interval first if it ended).
    public func observe(_ o: ServiceObservation) {
        advance(to: o.timeNanos)
        let key = EdgeKey(client: o.client, service: o.service)
        // One hash lookup, and the counters are updated in place (no copy of the histograms).
        var index = edges.index(forKey: key)
        if index == nil {
            guard edges.count < maxEdges else {
                overflowObservations += 1
                return
            }
            edges[key] = (o.application, EdgeCounters(), o.tunnel)
            index = edges.index(forKey: key)
        }
        guard let index else { return }
        edges.values[index].counters.add(o)
        if o.application != .none { edges.values[index].application = o.application }
        if o.tunnel != nil && edges.values[index].tunnel == nil { edges.values[index].tunnel = o.tunnel }
    }

    /// Packet time is now `nanos`: reports the open interval if it has ended.
    public func advance(to nanos: Int64) {
        // A time within one interval of the smallest Int64 is no packet time (and its interval
        // start would not be representable).
        guard nanos >= Int64.min + 2 * intervalNanos else { return }
        guard let start = intervalStart else {
            intervalStart = nanos - ((nanos % intervalNanos) + intervalNanos) % intervalNanos
            return
        }
        guard nanos >= start + intervalNanos else { return }
        flush(end: start + intervalNanos)
        intervalStart = nanos - ((nanos % intervalNanos) + intervalNanos) % intervalNanos
    }

    /// Reports the open interval now, ending at its nominal end (agent shutdown).
    public func finish() {
        guard let start = intervalStart else { return }
        flush(end: start + intervalNanos)
        intervalStart = nil
    }

    private func flush(end: Int64) {
        let start = end - intervalNanos
        let sorted = edges.sorted { a, b in
            if a.key.client != b.key.client { return a.key.client < b.key.client }
            if a.key.service.address != b.key.service.address { return a.key.service.address < b.key.service.address }
            if a.key.service.port != b.key.service.port { return a.key.service.port < b.key.service.port }
            if a.key.service.transport != b.key.service.transport {
                return a.key.service.transport.rawValue < b.key.service.transport.rawValue
            }
            return a.key.service.tenant < b.key.service.tenant
        }
        edges.removeAll(keepingCapacity: true)
        for (key, value) in sorted {
            onReport(EdgeReport(edge: key, application: value.application, intervalStartNanos: start,
                                intervalEndNanos: end, counters: value.counters, tunnel: value.tunnel))
        }
    }
}
