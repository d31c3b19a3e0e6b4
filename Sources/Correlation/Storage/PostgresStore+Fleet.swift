import Foundation

extension PostgresStore {
    /// The fleet tables, created with the rest of the schema (the one hook in PostgresStore.swift).
    static let fleetSchema = [
        "CREATE TABLE IF NOT EXISTS fleet_agent (agent TEXT PRIMARY KEY, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS fleet_group (name TEXT PRIMARY KEY, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS fleet_document (revision BIGINT PRIMARY KEY, scope TEXT NOT NULL, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS fleet_audit (id BIGSERIAL PRIMARY KEY, json TEXT NOT NULL)",
    ]

    /// The fleet store on a connection of its own (its calls come from API handlers, never from ingest).
    public func fleetStore() throws -> PostgresFleetStore { try PostgresFleetStore(url: url) }
}

/// The fleet tables of a PostgreSQL store (see ``FleetStorage``). Instances sharing the database
/// read the fleet when they start; a revision another instance wrote meanwhile makes this one's
/// next document insert fail (the revision is the primary key), refused rather than forked.
public final class PostgresFleetStore: FleetStorage, @unchecked Sendable {
    // @unchecked: `connection` is only used under `lock`.
    private let lock = NSLock()
    private let connection: PostgresConnection

    init(url: String) throws { connection = try PostgresConnection(url: url) }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private static func decode<T: Decodable>(_ t: T.Type, _ s: String?) throws -> T { try SQLiteStore.decode(t, s ?? "") }

    public func loadFleet() throws -> (agents: [FleetAgent], groups: [AgentGroup], documents: [ConfigDocument]) {
        try locked {
            (try connection.execute("SELECT json FROM fleet_agent").rows.map { try Self.decode(FleetAgent.self, $0[0]) },
             try connection.execute("SELECT json FROM fleet_group").rows.map { try Self.decode(AgentGroup.self, $0[0]) },
             try connection.execute("SELECT json FROM fleet_document ORDER BY revision").rows.map { try Self.decode(ConfigDocument.self, $0[0]) })
        }
    }

    public func saveFleetAgent(_ agent: FleetAgent) throws {
        try locked {
            _ = try connection.execute("INSERT INTO fleet_agent (agent, json) VALUES ($1, $2) ON CONFLICT (agent) DO UPDATE SET json = EXCLUDED.json",
                                       [agent.agent, try SQLiteStore.json(agent)])
        }
    }

    public func saveGroup(_ group: AgentGroup) throws {
        try locked {
            _ = try connection.execute("INSERT INTO fleet_group (name, json) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET json = EXCLUDED.json",
                                       [group.name, try SQLiteStore.json(group)])
        }
    }

    public func deleteGroup(_ name: String) throws {
        try locked { _ = try connection.execute("DELETE FROM fleet_group WHERE name = $1", [name]) }
    }

    public func appendDocument(_ document: ConfigDocument) throws {
        try locked {
            _ = try connection.execute("INSERT INTO fleet_document (revision, scope, json) VALUES ($1, $2, $3)",
                                       [String(document.revision), document.scope, try SQLiteStore.json(document)])
        }
    }

    public func appendAudit(_ entry: FleetAuditEntry) throws {
        try locked { _ = try connection.execute("INSERT INTO fleet_audit (json) VALUES ($1)", [try SQLiteStore.json(entry)]) }
    }

    public func audit(limit: Int) throws -> [FleetAuditEntry] {
        try locked {
            try connection.execute("SELECT json FROM fleet_audit ORDER BY id DESC LIMIT $1", [String(limit)]).rows.map { try Self.decode(FleetAuditEntry.self, $0[0]) }
        }
    }
}
