/// A maintenance window on a node: while active, the node's bad state is shown but its parents see
/// it as OK; a parent whose contributing children are all in maintenance is in maintenance too.
public struct MaintenanceWindow: Sendable, Hashable, Codable {
    public var id: Int64
    public var node: String
    /// Seconds since 1970.
    public var start: Double
    public var end: Double
    public var comment: String?

    public init(id: Int64 = 0, node: String, start: Double, end: Double, comment: String? = nil) {
        self.id = id; self.node = node; self.start = start; self.end = end; self.comment = comment
    }

    public func isActive(at t: Double) -> Bool { start <= t && t < end }
}

/// An acknowledgement of a node's bad state: display and notification only (the state still
/// propagates); it is cleared when the node returns to OK. A parent whose causes are all
/// acknowledged (or in maintenance) shows as acknowledged.
public struct Acknowledgement: Sendable, Hashable, Codable {
    public var node: String
    public var at: Double
    public var author: String?
    public var comment: String?
    public init(node: String, at: Double, author: String? = nil, comment: String? = nil) {
        self.node = node; self.at = at; self.author = author; self.comment = comment
    }
}
