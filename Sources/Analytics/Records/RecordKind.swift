/// The kinds of record the agent emits (the `kind` field).
public enum RecordKind: String, Sendable, Hashable, CaseIterable {
    case conn
    case txn
    case edge
    case serviceState = "service_state"
    case serviceSeen = "service_seen"
    case agentHealth = "agent_health"

    /// Version of the record layout (the `schema_version` field): bumped when a field changes
    /// meaning or disappears; adding optional fields does not bump it.
    public static let schemaVersion = 1

    var index: Int {
        switch self {
        case .conn: 0
        case .txn: 1
        case .edge: 2
        case .serviceState: 3
        case .serviceSeen: 4
        case .agentHealth: 5
        }
    }
}
