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

/// Where encoded records go. Called on the analytics thread; implementations must return quickly
/// (buffer, do not wait for the disk or the network).
public protocol RecordOutput: AnyObject {
    /// Takes one encoded record: one JSON object followed by `\n`. Returns `false` when the
    /// record was dropped (buffer full, output closed); the emitter counts it.
    func write(_ line: [UInt8], kind: RecordKind) -> Bool
    /// Gives the output a chance to push buffered data (called on every packet-time clock tick).
    func flush()
}
