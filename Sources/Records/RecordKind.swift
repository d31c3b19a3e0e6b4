/// The kinds of record the agent emits: the one definition of a record's `kind`, schema version,
/// spool priority and default Kafka topic, shared by the agent (emitter, spool, sinks) and the
/// server (parser, Kafka ingest).
///
/// The case order is the order of the agent's per-kind counters (`agent_health.records`):
/// changing it changes the records.
public enum RecordKind: String, Sendable, Hashable, CaseIterable {
    case conn
    case txn
    case edge
    case serviceState = "service_state"
    case serviceSeen = "service_seen"
    case agentHealth = "agent_health"
    /// A pin protecting stored packets from ring retention was created, extended, released or
    /// evicted (docs/pins.md). Last: the case order is the order of the per-kind counters.
    case pin

    /// Version of the record layout (the `schema_version` field): bumped when a field changes
    /// meaning or disappears; adding optional fields does not bump it.
    public static let schemaVersion = 1

    /// The name used in records (`"kind"`), topics and headers.
    public var name: String { rawValue }

    /// The kind of a `kind` value; nil for a kind this build does not know.
    public init?(name: String) { self.init(rawValue: name) }

    /// `name` as a JSON key (the writer takes keys as static text).
    public var key: StaticString {
        switch self {
        case .conn: "conn"
        case .txn: "txn"
        case .edge: "edge"
        case .serviceState: "service_state"
        case .serviceSeen: "service_seen"
        case .agentHealth: "agent_health"
        case .pin: "pin"
        }
    }

    /// Position in `allCases` (indexes per-kind counter arrays).
    public var index: Int {
        switch self {
        case .conn: 0
        case .txn: 1
        case .edge: 2
        case .serviceState: 3
        case .serviceSeen: 4
        case .agentHealth: 5
        case .pin: 6
        }
    }

    // MARK: Export

    /// The default Kafka topic of the kind: `vigie.` + name.
    public var defaultTopic: String { "vigie." + name }

    /// Spool priority, lowest first: when the spool is full, `txn` records are refused first, then
    /// `conn`, and `service_state` never. It is also the kind's byte in the spool's on-disk format
    /// (docs/export.md): these values must never change, or existing spools read back wrong.
    public var spoolCode: UInt8 {
        switch self {
        case .txn: 0
        case .conn: 1
        case .edge: 2
        case .serviceSeen: 3
        case .agentHealth: 4
        case .serviceState: 5
        case .pin: 6
        }
    }

    /// The kind stored as `code` in a spool record; nil for a byte no kind has (a damaged record).
    public init?(spoolCode code: UInt8) {
        switch code {
        case 0: self = .txn
        case 1: self = .conn
        case 2: self = .edge
        case 3: self = .serviceSeen
        case 4: self = .agentHealth
        case 5: self = .serviceState
        case 6: self = .pin
        default: return nil
        }
    }

    /// Fraction of the spool bound this kind may fill: a kind is refused once the spool holds more
    /// than this share of its bound, so lower kinds leave room for higher ones. `service_state`
    /// (transitions and heartbeats: a few records a minute) is admitted even beyond the bound.
    public var admissionShare: Double {
        switch self {
        case .txn: 0.70
        case .conn: 0.85
        case .edge, .serviceSeen, .agentHealth: 0.95
        case .serviceState, .pin: .infinity
        }
    }
}
