/// The health of a node of the inventory.
///
/// Known states are ordered `OK < WARNING < DEGRADED < DOWN`. `UNKNOWN` is **not** on that scale:
/// it means "no fresh evidence" (coverage), and a reduce function never turns it into `DOWN`.
public enum Health: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case ok = "OK"
    case warning = "WARNING"
    case degraded = "DEGRADED"
    case down = "DOWN"
    case unknown = "UNKNOWN"

    /// 0 (OK) … 3 (DOWN); nil for UNKNOWN.
    public var severity: Int? {
        switch self {
        case .ok: 0
        case .warning: 1
        case .degraded: 2
        case .down: 3
        case .unknown: nil
        }
    }

    /// The known state of a severity (clamped to 0…3).
    public init(severity: Int) {
        switch severity {
        case ...0: self = .ok
        case 1: self = .warning
        case 2: self = .degraded
        default: self = .down
        }
    }

    public var isKnown: Bool { self != .unknown }
    public var description: String { rawValue }

    /// Case-insensitive parse of a state name.
    public init?(name: String) {
        self.init(rawValue: name.uppercased())
    }
}

extension AgentServiceState {
    /// UP→OK, DEGRADED→DEGRADED, UNREACHABLE→DOWN, REFUSED→DOWN, IDLE→OK (flagged idle), UNKNOWN→UNKNOWN.
    public var health: Health {
        switch self {
        case .up, .idle: .ok
        case .degraded: .degraded
        case .unreachable, .refused: .down
        case .unknown: .unknown
        }
    }
}
