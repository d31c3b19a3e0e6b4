import Foundation
import GRDB

/// SQLite storage (GRDB), the embedded default: one file `vigie-server.sqlite` in the data directory.
public final class SQLiteStore: CorrelationStorage {
    let db: DatabaseQueue
    public let path: String

    /// `durable: false` (loading a generated history, `vigie-bench history-load`) syncs nothing:
    /// a crash may corrupt the file. The server always opens it durable.
    public init(directory: String, durable: Bool = true) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/vigie-server.sqlite"
        var config = Configuration()
        config.busyMode = .timeout(5)
        // WAL, synchronous FULL: one batch = one transaction = one fsync of the WAL, so a batch
        // answered 200 is durable (the agent will not resend it).
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = OFF")
            // 128 MiB of page cache (default 2 MiB): the metric history updates rows all over its
            // table, and each page missed is a read from the OS cache (docs/history.md, "Measured").
            try db.execute(sql: "PRAGMA cache_size = -131072")
        }
        db = try DatabaseQueue(path: path, configuration: config)
        try Self.migrator.migrate(db)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE inventory (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
                CREATE TABLE agent_view (agent TEXT NOT NULL, service TEXT NOT NULL, state TEXT NOT NULL, updated REAL NOT NULL,
                    ts REAL NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (agent, service));
                CREATE TABLE agent (agent TEXT PRIMARY KEY, last_seen REAL NOT NULL, epoch INTEGER NOT NULL, health TEXT);
                CREATE TABLE dedup (agent TEXT NOT NULL, epoch INTEGER NOT NULL, high INTEGER NOT NULL, above TEXT NOT NULL,
                    PRIMARY KEY (agent, epoch));
                CREATE TABLE dependency (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL, at REAL NOT NULL, state TEXT NOT NULL,
                    previous TEXT, causes TEXT NOT NULL);
                CREATE INDEX history_node ON history (node, at);
                CREATE TABLE flow (id INTEGER PRIMARY KEY AUTOINCREMENT, agent TEXT NOT NULL, kind TEXT NOT NULL, service TEXT,
                    ts REAL NOT NULL, line TEXT NOT NULL);
                CREATE INDEX flow_ts ON flow (ts);
                CREATE INDEX flow_service ON flow (service, ts);
                CREATE TABLE idempotency (key TEXT PRIMARY KEY, at REAL NOT NULL);
                CREATE TABLE maintenance (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE ack (node TEXT PRIMARY KEY, json TEXT NOT NULL);
                """)
        }
        // One B-tree per view row instead of a rowid table plus its primary-key index: every
        // ingested service_state replaces a row here.
        m.registerMigration("v2-agent-view-without-rowid") { db in
            try db.execute(sql: """
                CREATE TABLE agent_view_v2 (agent TEXT NOT NULL, service TEXT NOT NULL, state TEXT NOT NULL, updated REAL NOT NULL,
                    ts REAL NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (agent, service)) WITHOUT ROWID;
                INSERT INTO agent_view_v2 SELECT agent, service, state, updated, ts, epoch, seq FROM agent_view;
                DROP TABLE agent_view;
                ALTER TABLE agent_view_v2 RENAME TO agent_view;
                """)
        }
        registerHistory(&m)
        registerNotificationMigrations(&m)
        registerFleetMigrations(&m)
        return m
    }

    static let encoder: JSONEncoder = { let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]; return e }()
    static func json(_ v: some Encodable) throws -> String { String(decoding: try encoder.encode(v), as: UTF8.self) }
    /// A string array as JSON, as `json(_:)` writes it (`["a","b"]`, `/` escaped), without a JSONEncoder per call.
    static func jsonStrings(_ strings: [String]) -> String {
        "[" + strings.map { JSONText.quoted($0, escapingSlash: true) }.joined(separator: ",") + "]"
    }

    static func decode<T: Decodable>(_ t: T.Type, _ s: String) throws -> T { try JSONDecoder().decode(t, from: Data(s.utf8)) }

    public func load() throws -> StoredState {
        try db.read { db in
            let inventory = try String.fetchOne(db, sql: "SELECT json FROM inventory WHERE id = 1").map { try Self.decode(Inventory.self, $0) }
            let views = try Row.fetchAll(db, sql: "SELECT agent, service, state, updated, ts, epoch, seq FROM agent_view").compactMap { r -> AgentView? in
                guard let s = AgentServiceState(rawValue: r["state"]) else { return nil }
                return AgentView(agent: r["agent"], service: r["service"], state: s, updated: r["updated"], ts: r["ts"], epoch: r["epoch"], seq: r["seq"])
            }
            let agents = try Row.fetchAll(db, sql: "SELECT agent, last_seen, epoch, health FROM agent").map {
                AgentInfo(agent: $0["agent"], lastSeen: $0["last_seen"], epoch: $0["epoch"], health: $0["health"])
            }
            var dedup: [DedupTracker.Key: DedupTracker.Mark] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT agent, epoch, high, above FROM dedup") {
                let above: [Int64] = try Self.decode([Int64].self, r["above"])
                dedup[.init(agent: r["agent"], epoch: r["epoch"])] = .init(high: r["high"], above: Set(above))
            }
            let deps = try String.fetchAll(db, sql: "SELECT json FROM dependency ORDER BY id").map { try Self.decode(ObservedDependency.self, $0) }
            let maint = try String.fetchAll(db, sql: "SELECT json FROM maintenance ORDER BY id").map { try Self.decode(MaintenanceWindow.self, $0) }
            let acks = try String.fetchAll(db, sql: "SELECT json FROM ack").map { try Self.decode(Acknowledgement.self, $0) }
            var last: [String: Health] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT node, state FROM history WHERE id IN (SELECT MAX(id) FROM history GROUP BY node)") {
                last[r["node"]] = Health(rawValue: r["state"])
            }
            let keys = try String.fetchAll(db, sql: "SELECT key FROM idempotency ORDER BY at DESC LIMIT 10000")
            return StoredState(inventory: inventory, views: views, agents: agents, dedup: dedup, dependencies: deps, maintenance: maint,
                               acknowledgements: acks, lastStates: last, idempotencyKeys: keys)
        }
    }

    public func write(_ b: StoreBatch) throws {
        if b.isEmpty { return }
        try db.write { db in
            if let inv = b.inventory {
                try db.execute(sql: "INSERT OR REPLACE INTO inventory (id, json) VALUES (1, ?)", arguments: [try Self.json(inv)])
            }
            // Cached statements: prepared once per connection, not once per row.
            if !b.views.isEmpty {
                let insert = try RowInserter(db, sql: "INSERT OR REPLACE INTO agent_view (agent, service, state, updated, ts, epoch, seq) VALUES (?, ?, ?, ?, ?, ?, ?)")
                for v in b.views {
                    insert.bind(1, v.agent); insert.bind(2, v.service); insert.bind(3, v.state.rawValue); insert.bind(4, v.updated)
                    insert.bind(5, v.ts); insert.bind(6, v.epoch); insert.bind(7, v.seq)
                    try insert.insert()
                }
            }
            if !b.agents.isEmpty {
                let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO agent (agent, last_seen, epoch, health) VALUES (?, ?, ?, ?)")
                for a in b.agents {
                    insert.setUncheckedArguments([a.agent, a.lastSeen, a.epoch, a.health])
                    try insert.execute()
                }
            }
            if !b.dedup.isEmpty {
                let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO dedup (agent, epoch, high, above) VALUES (?, ?, ?, ?)")
                for (k, m) in b.dedup {
                    insert.setUncheckedArguments([k.agent, k.epoch, m.high, try Self.json(m.above.sorted())])
                    try insert.execute()
                }
            }
            if !b.dependencies.isEmpty {
                let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO dependency (id, json) VALUES (?, ?)")
                for d in b.dependencies {
                    insert.setUncheckedArguments([d.id, try Self.json(d)])
                    try insert.execute()
                }
            }
            if !b.history.isEmpty {
                let insert = try RowInserter(db, sql: "INSERT INTO history (node, at, state, previous, causes) VALUES (?, ?, ?, ?, ?)")
                for h in b.history {
                    insert.bind(1, h.node); insert.bind(2, h.at); insert.bind(3, h.state.rawValue); insert.bind(4, h.previous?.rawValue)
                    insert.bind(5, Self.jsonStrings(h.causes))
                    try insert.insert()
                }
            }
            if !b.flows.isEmpty {
                let insert = try RowInserter(db, sql: "INSERT INTO flow (agent, kind, service, ts, line) VALUES (?, ?, ?, ?, ?)")
                for f in b.flows {
                    insert.bind(1, f.agent); insert.bind(2, f.kind); insert.bind(3, f.service); insert.bind(4, f.ts); insert.bind(5, f.line)
                    try insert.insert()
                }
            }
            if let key = b.idempotencyKey {
                try db.execute(sql: "INSERT OR REPLACE INTO idempotency (key, at) VALUES (?, ?)", arguments: [key, Date().timeIntervalSince1970])
            }
            if let maint = b.maintenance {
                try db.execute(sql: "DELETE FROM maintenance")
                for w in maint { try db.execute(sql: "INSERT INTO maintenance (id, json) VALUES (?, ?)", arguments: [w.id, try Self.json(w)]) }
            }
            if let acks = b.acknowledgements {
                try db.execute(sql: "DELETE FROM ack")
                for a in acks { try db.execute(sql: "INSERT INTO ack (node, json) VALUES (?, ?)", arguments: [a.node, try Self.json(a)]) }
            }
            try Self.writeMetrics(b.metrics, db)
        }
    }

    /// The most recent state changes of a node, newest first.
    public func history(node: String, limit: Int = 50) throws -> [HistoryEntry] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT node, at, state, previous, causes FROM history WHERE node = ? ORDER BY id DESC LIMIT ?",
                             arguments: [node, limit]).map {
                HistoryEntry(node: $0["node"], at: $0["at"], state: Health(rawValue: $0["state"]) ?? .unknown,
                             previous: ($0["previous"] as String?).flatMap(Health.init(rawValue:)),
                             causes: (try? Self.decode([String].self, $0["causes"])) ?? [])
            }
        }
    }

    public func historyRows(node: String, from: Double, to: Double) throws -> [(at: Double, state: Health)] {
        try db.read { db in
            let before = try Row.fetchOne(db, sql: "SELECT at, state FROM history WHERE node = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1",
                                          arguments: [node, from])
            let inside = try Row.fetchAll(db, sql: "SELECT at, state FROM history WHERE node = ? AND at >= ? AND at < ? ORDER BY at, id",
                                          arguments: [node, from, to])
            return (before.map { [$0] } ?? []).map { (from, Health(rawValue: $0["state"]) ?? .unknown) }
                + inside.map { ($0["at"], Health(rawValue: $0["state"]) ?? .unknown) }
        }
    }

    /// Recent `conn`/`txn` records of a service (or all), newest first.
    public func flows(service: String?, limit: Int = 100) throws -> [FlowRecord] {
        try db.read { db in
            let sql = service == nil ? "SELECT agent, kind, service, ts, line FROM flow ORDER BY ts DESC LIMIT ?"
                                     : "SELECT agent, kind, service, ts, line FROM flow WHERE service = ? ORDER BY ts DESC LIMIT ?"
            let args: StatementArguments = service.map { [$0, limit] } ?? [limit]
            return try Row.fetchAll(db, sql: sql, arguments: args).map {
                FlowRecord(agent: $0["agent"], kind: $0["kind"], service: $0["service"], ts: $0["ts"], line: $0["line"])
            }
        }
    }

    /// Drops flow records with packet time before `before`, idempotency keys older than `keysBefore`.
    public func prune(flowsBefore before: Double, keysBefore: Double) throws {
        try db.write { db in
            try db.execute(sql: "DELETE FROM flow WHERE ts < ?", arguments: [before])
            try db.execute(sql: "DELETE FROM idempotency WHERE at < ?", arguments: [keysBefore])
        }
    }
}
