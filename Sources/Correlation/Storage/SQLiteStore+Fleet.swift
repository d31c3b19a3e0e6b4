import Foundation
import GRDB

/// The fleet tables in the SQLite store (docs/fleet.md): agents, groups, every version of every
/// configuration document, and the audit of changes. Rows hold JSON of the Correlation types.
extension SQLiteStore: FleetStorage {
    /// Registered by `migrator` (the one hook in SQLiteStore.swift).
    static func registerFleetMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v4-fleet") { db in
            try db.execute(sql: """
                CREATE TABLE fleet_agent (agent TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE fleet_group (name TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE fleet_document (revision INTEGER PRIMARY KEY, scope TEXT NOT NULL, json TEXT NOT NULL);
                CREATE TABLE fleet_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, json TEXT NOT NULL);
                """)
        }
    }

    public func loadFleet() throws -> (agents: [FleetAgent], groups: [AgentGroup], documents: [ConfigDocument]) {
        try db.read { db in
            (try String.fetchAll(db, sql: "SELECT json FROM fleet_agent").map { try Self.decode(FleetAgent.self, $0) },
             try String.fetchAll(db, sql: "SELECT json FROM fleet_group").map { try Self.decode(AgentGroup.self, $0) },
             try String.fetchAll(db, sql: "SELECT json FROM fleet_document ORDER BY revision").map { try Self.decode(ConfigDocument.self, $0) })
        }
    }

    public func saveFleetAgent(_ agent: FleetAgent) throws {
        try db.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO fleet_agent (agent, json) VALUES (?, ?)", arguments: [agent.agent, try Self.json(agent)])
        }
    }

    public func saveGroup(_ group: AgentGroup) throws {
        try db.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO fleet_group (name, json) VALUES (?, ?)", arguments: [group.name, try Self.json(group)])
        }
    }

    public func deleteGroup(_ name: String) throws {
        try db.write { db in try db.execute(sql: "DELETE FROM fleet_group WHERE name = ?", arguments: [name]) }
    }

    public func appendDocument(_ document: ConfigDocument) throws {
        try db.write { db in
            try db.execute(sql: "INSERT INTO fleet_document (revision, scope, json) VALUES (?, ?, ?)",
                           arguments: [document.revision, document.scope, try Self.json(document)])
        }
    }

    public func appendAudit(_ entry: FleetAuditEntry) throws {
        try db.write { db in try db.execute(sql: "INSERT INTO fleet_audit (json) VALUES (?)", arguments: [try Self.json(entry)]) }
    }

    public func audit(limit: Int) throws -> [FleetAuditEntry] {
        try db.read { db in
            try String.fetchAll(db, sql: "SELECT json FROM fleet_audit ORDER BY id DESC LIMIT ?", arguments: [limit]).map { try Self.decode(FleetAuditEntry.self, $0) }
        }
    }
}
