/// What a series describes: an inventory node (an endpoint id, or a service, application or host
/// the endpoint belongs to) or one client → service dependency edge.
public struct SeriesKey: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Int, Sendable { case node = 0, edge = 1 }
    public var kind: Kind
    /// The node id, or `CLIENT->SERVICE` for an edge (a client is an address: it holds no `->`).
    public var subject: String

    public static func node(_ id: String) -> SeriesKey { SeriesKey(kind: .node, subject: id) }
    public static func edge(client: String, service: String) -> SeriesKey { SeriesKey(kind: .edge, subject: client + "->" + service) }

    public var description: String { kind == .node ? subject : "edge \(subject)" }
}

/// One stored row: a series' sums over one bucket of one scale.
public struct MetricRowKey: Hashable, Sendable {
    public var series: SeriesKey
    public var scale: HistoryScale
    /// Bucket start, seconds since 1970.
    public var bucket: Int64

    public init(series: SeriesKey, scale: HistoryScale, bucket: Int64) {
        self.series = series; self.scale = scale; self.bucket = bucket
    }
}

/// One point of a series as read back.
public struct MetricPoint: Sendable, Hashable {
    /// Bucket start, seconds since 1970.
    public var bucket: Int64
    public var sums: MetricSums

    public init(bucket: Int64, sums: MetricSums) { self.bucket = bucket; self.sums = sums }
}
