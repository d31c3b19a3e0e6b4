/// A state change, as the event stream carries it.
public struct StateChangeEvent: Sendable, Codable, Hashable {
    public var node: String
    public var kind: NodeKind
    public var state: Health
    public var previous: Health?
    public var causes: [String]
    public var rootCauses: [String]
    public var flapping: Bool
    /// Server time, seconds since 1970.
    public var at: Double
}

/// One node as the weather shows it.
public struct WeatherEntry: Sendable, Codable, Hashable {
    public var id: String
    public var kind: NodeKind
    public var name: String?
    public var state: Health
    public var coverage: Double
    public var causes: [String]
    public var rootCauses: [String]
    public var score: Double?
    public var idle: Bool
    public var maintenance: Bool
    public var acknowledged: Bool
    public var flapping: Bool
    public var forced: Bool
}

public struct Weather: Sendable, Codable, Hashable {
    public var generatedAt: Double
    public var nodes: [WeatherEntry]
    public func entry(_ id: String) -> WeatherEntry? { nodes.first { $0.id == id } }
}
