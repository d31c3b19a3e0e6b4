/// The record families the agent exports, lowest priority first: when the spool is full, `txn`
/// records are refused first, then `conn`, and `service_state` never.
public enum RecordFamily: UInt8, Sendable, Hashable, CaseIterable, Comparable {
    case txn = 0
    case conn = 1
    case edge = 2
    case serviceSeen = 3
    case agentHealth = 4
    case serviceState = 5

    /// The name used in records (`"kind"`), topics and headers.
    public var name: String {
        switch self {
        case .txn: "txn"
        case .conn: "conn"
        case .edge: "edge"
        case .serviceSeen: "service_seen"
        case .agentHealth: "agent_health"
        case .serviceState: "service_state"
        }
    }

    public init?(name: String) {
        guard let kind = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = kind
    }

    /// Fraction of the spool bound this kind may fill: a kind is refused once the spool holds more
    /// than this share of its bound, so lower kinds leave room for higher ones. `service_state`
    /// (transitions and heartbeats: a few records a minute) is admitted even beyond the bound.
    var admissionShare: Double {
        switch self {
        case .txn: 0.70
        case .conn: 0.85
        case .edge, .serviceSeen, .agentHealth: 0.95
        case .serviceState: .infinity
        }
    }

    public static func < (a: RecordFamily, b: RecordFamily) -> Bool { a.rawValue < b.rawValue }
}
