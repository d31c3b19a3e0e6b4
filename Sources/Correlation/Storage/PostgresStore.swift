import Foundation

/// PostgreSQL storage, shared by several server instances (one Kafka consumer group).
///
/// The tables mirror `SQLiteStore`'s. What instances must see of each other's work (agent views,
/// agents, inventory, maintenance, acknowledgements) carries a `change_id`: every write
/// transaction first takes the next value of the single-row `vigie_clock` (its row lock is held
/// to commit, so change ids are committed in order and a reader never skips one), then sends
/// `NOTIFY vigie_changes`. Each instance reads `changes(since:)` when notified.
///
/// Upserts keep the newest information whoever writes: a view is replaced only by a higher
/// `(epoch, seq)`, an agent's `last_seen` only moves forward, duplicate marks only rise.
public final class PostgresStore: CorrelationStorage, @unchecked Sendable {
    // @unchecked: `connection` is only used under `lock`.
    private let lock = NSLock()
    let connection: PostgresConnection
    /// The notification channel of shared changes.
    public static let channel = "vigie_changes"
    public let url: String
    public var isShared: Bool { true }

    public init(url: String) throws {
        self.url = url
        connection = try PostgresConnection(url: url)
        try migrate()
    }

    private func migrate() throws {
        try locked {
            try connection.transaction {
                // Instances starting together: one creates the schema, the other waits here.
                try connection.execute("SELECT pg_advisory_xact_lock(7161801)")
                for statement in Self.schema + Self.historySchema { try connection.execute(statement) }
            }
        }
    }

    static let schema = [
        "CREATE TABLE IF NOT EXISTS vigie_clock (id INT PRIMARY KEY CHECK (id = 1), v BIGINT NOT NULL)",
        "INSERT INTO vigie_clock (id, v) VALUES (1, 0) ON CONFLICT DO NOTHING",
        "CREATE TABLE IF NOT EXISTS inventory (id INT PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL, change_id BIGINT NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS agent_view (agent TEXT NOT NULL, service TEXT NOT NULL, state TEXT NOT NULL,
            updated DOUBLE PRECISION NOT NULL, ts DOUBLE PRECISION NOT NULL, epoch BIGINT NOT NULL, seq BIGINT NOT NULL,
            change_id BIGINT NOT NULL, PRIMARY KEY (agent, service))
        """,
        "CREATE INDEX IF NOT EXISTS agent_view_change ON agent_view (change_id)",
        """
        CREATE TABLE IF NOT EXISTS agent (agent TEXT PRIMARY KEY, last_seen DOUBLE PRECISION NOT NULL, epoch BIGINT NOT NULL,
            health TEXT, change_id BIGINT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS agent_change ON agent (change_id)",
        """
        CREATE TABLE IF NOT EXISTS dedup (agent TEXT NOT NULL, epoch BIGINT NOT NULL, high BIGINT NOT NULL, above TEXT NOT NULL,
            PRIMARY KEY (agent, epoch))
        """,
        "CREATE TABLE IF NOT EXISTS dependency (client TEXT NOT NULL, service TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (client, service))",
        """
        CREATE TABLE IF NOT EXISTS history (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
            state TEXT NOT NULL, previous TEXT, causes TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS history_node ON history (node, at)",
        """
        CREATE TABLE IF NOT EXISTS flow (id BIGSERIAL PRIMARY KEY, agent TEXT NOT NULL, kind TEXT NOT NULL, service TEXT,
            ts DOUBLE PRECISION NOT NULL, line TEXT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS flow_ts ON flow (ts)",
        "CREATE INDEX IF NOT EXISTS flow_service ON flow (service, ts)",
        "CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL)",
        "CREATE TABLE IF NOT EXISTS maintenance (id BIGINT PRIMARY KEY, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS ack (node TEXT PRIMARY KEY, json TEXT NOT NULL)",
        /// Change ids of the sets replaced as a whole (maintenance, ack).
        "CREATE TABLE IF NOT EXISTS change_mark (name TEXT PRIMARY KEY, change_id BIGINT NOT NULL)",
    ] + notificationSchema + fleetSchema

    /// A `SELECT 1` (reconnecting when the connection was lost). While a write holds the connection,
    /// the database is answering it: no need to wait behind it.
    public func ping() throws {
        guard lock.try() else { return }
        defer { lock.unlock() }
        try connection.execute("SELECT 1")
    }

    func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: Load

    public func load() throws -> StoredState {
        try locked {
            let c = connection
            let inventory = try c.execute("SELECT json FROM inventory WHERE id = 1").rows.first?[0].map { try SQLiteStore.decode(Inventory.self, $0) }
            let views = try c.execute("SELECT agent, service, state, updated, ts, epoch, seq FROM agent_view").rows.compactMap(Self.view)
            let agents = try c.execute("SELECT agent, last_seen, epoch, health FROM agent").rows.compactMap(Self.agent)
            var dedup: [DedupTracker.Key: DedupTracker.Mark] = [:]
            for r in try c.execute("SELECT agent, epoch, high, above FROM dedup").rows {
                guard let (k, m) = try Self.mark(r) else { continue }
                dedup[k] = m
            }
            let deps = try c.execute("SELECT json FROM dependency").rows.compactMap { try $0[0].map { try SQLiteStore.decode(ObservedDependency.self, $0) } }
                .sorted { $0.id < $1.id }
            let maint = try c.execute("SELECT json FROM maintenance ORDER BY id").rows.compactMap { try $0[0].map { try SQLiteStore.decode(MaintenanceWindow.self, $0) } }
            let acks = try c.execute("SELECT json FROM ack").rows.compactMap { try $0[0].map { try SQLiteStore.decode(Acknowledgement.self, $0) } }
            var last: [String: Health] = [:]
            for r in try c.execute("SELECT DISTINCT ON (node) node, state FROM history ORDER BY node, id DESC").rows {
                if let node = r[0], let s = r[1].flatMap(Health.init(rawValue:)) { last[node] = s }
            }
            let keys = try c.execute("SELECT key FROM idempotency ORDER BY at DESC LIMIT 10000").rows.compactMap { $0[0] }
            return StoredState(inventory: inventory, views: views, agents: agents, dedup: dedup, dependencies: fixIDs(deps),
                               maintenance: maint, acknowledgements: acks, lastStates: last, idempotencyKeys: keys)
        }
    }

    /// Dependencies are keyed by (client, service) here; ids given by different instances may
    /// collide, so ids are renumbered at load when they do.
    private func fixIDs(_ deps: [ObservedDependency]) -> [ObservedDependency] {
        var seen = Set<Int64>(), next = (deps.map(\.id).max() ?? 0) + 1
        return deps.map { d in
            var d = d
            if !seen.insert(d.id).inserted { d.id = next; next += 1; seen.insert(d.id) }
            return d
        }
    }

    static func view(_ r: [String?]) -> AgentView? {
        guard let agent = r[0], let service = r[1], let state = r[2].flatMap(AgentServiceState.init(rawValue:)),
              let updated = r[3].flatMap(Double.init), let ts = r[4].flatMap(Double.init),
              let epoch = r[5].flatMap({ Int64($0) }), let seq = r[6].flatMap({ Int64($0) }) else { return nil }
        return AgentView(agent: agent, service: service, state: state, updated: updated, ts: ts, epoch: epoch, seq: seq)
    }

    static func agent(_ r: [String?]) -> AgentInfo? {
        guard let agent = r[0], let lastSeen = r[1].flatMap(Double.init), let epoch = r[2].flatMap({ Int64($0) }) else { return nil }
        return AgentInfo(agent: agent, lastSeen: lastSeen, epoch: epoch, health: r[3])
    }

    static func mark(_ r: [String?]) throws -> (DedupTracker.Key, DedupTracker.Mark)? {
        guard let agent = r[0], let epoch = r[1].flatMap({ Int64($0) }), let high = r[2].flatMap({ Int64($0) }), let above = r[3] else { return nil }
        return (DedupTracker.Key(agent: agent, epoch: epoch), DedupTracker.Mark(high: high, above: Set(try SQLiteStore.decode([Int64].self, above))))
    }

    // MARK: Write

    public func write(_ b: StoreBatch) throws {
        if b.isEmpty { return }
        try locked {
            let c = connection
            try c.transaction {
                guard let id = try c.execute("UPDATE vigie_clock SET v = v + 1 WHERE id = 1 RETURNING v").rows.first?[0] else {
                    throw PostgresError(message: "vigie_clock row missing", isRetriable: false)
                }
                if let inv = b.inventory {
                    try c.execute("""
                        INSERT INTO inventory (id, json, change_id) VALUES (1, $1, $2)
                        ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json, change_id = EXCLUDED.change_id
                        """, [try SQLiteStore.json(inv), id])
                }
                try writeViews(b.views, id)
                try writeAgents(b.agents, id)
                for (k, m) in b.dedup {
                    try c.execute("""
                        INSERT INTO dedup (agent, epoch, high, above) VALUES ($1, $2, $3, $4)
                        ON CONFLICT (agent, epoch) DO UPDATE SET high = GREATEST(dedup.high, EXCLUDED.high),
                            above = CASE WHEN EXCLUDED.high >= dedup.high THEN EXCLUDED.above ELSE dedup.above END
                        """, [k.agent, "\(k.epoch)", "\(m.high)", try SQLiteStore.json(m.above.sorted())])
                }
                for d in b.dependencies {
                    try c.execute("""
                        INSERT INTO dependency (client, service, json) VALUES ($1, $2, $3)
                        ON CONFLICT (client, service) DO UPDATE SET json = EXCLUDED.json
                        """, [d.client, d.service, try SQLiteStore.json(d)])
                }
                if !b.history.isEmpty {
                    try c.execute("""
                        INSERT INTO history (node, at, state, previous, causes)
                        SELECT * FROM unnest($1::text[], $2::float8[], $3::text[], $4::text[], $5::text[])
                        """, [PostgresArray.text(b.history.map(\.node)), PostgresArray.numbers(b.history.map(\.at)),
                              PostgresArray.text(b.history.map(\.state.rawValue)), PostgresArray.text(b.history.map { $0.previous?.rawValue }),
                              PostgresArray.text(try b.history.map { try SQLiteStore.json($0.causes) })])
                }
                if !b.flows.isEmpty {
                    try c.execute("""
                        INSERT INTO flow (agent, kind, service, ts, line)
                        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[])
                        """, [PostgresArray.text(b.flows.map(\.agent)), PostgresArray.text(b.flows.map(\.kind)),
                              PostgresArray.text(b.flows.map(\.service)), PostgresArray.numbers(b.flows.map(\.ts)),
                              PostgresArray.text(b.flows.map(\.line))])
                }
                if let key = b.idempotencyKey {
                    try c.execute("INSERT INTO idempotency (key, at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                                  [key, "\(Date().timeIntervalSince1970)"])
                }
                if let maint = b.maintenance {
                    try c.execute("DELETE FROM maintenance")
                    for w in maint { try c.execute("INSERT INTO maintenance (id, json) VALUES ($1, $2)", ["\(w.id)", try SQLiteStore.json(w)]) }
                    try mark("maintenance", id)
                }
                if let acks = b.acknowledgements {
                    try c.execute("DELETE FROM ack")
                    for a in acks { try c.execute("INSERT INTO ack (node, json) VALUES ($1, $2)", [a.node, try SQLiteStore.json(a)]) }
                    try mark("ack", id)
                }
                try writeMetrics(b.metrics)
                try c.execute("NOTIFY \(Self.channel)")
            }
        }
    }

    private func mark(_ name: String, _ id: String) throws {
        try connection.execute("""
            INSERT INTO change_mark (name, change_id) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET change_id = EXCLUDED.change_id
            """, [name, id])
    }

    private func writeViews(_ views: [AgentView], _ id: String) throws {
        guard !views.isEmpty else { return }
        // Last view per (agent, service) of the batch (an upsert cannot touch one row twice).
        var last: [String: AgentView] = [:]
        for v in views { last[v.agent + "\u{0}" + v.service] = v }
        let vs = Array(last.values)
        try connection.execute("""
            INSERT INTO agent_view (agent, service, state, updated, ts, epoch, seq, change_id)
            SELECT a, s, st, u, t, e, q, $8 FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::int8[], $7::int8[])
                AS x(a, s, st, u, t, e, q)
            ON CONFLICT (agent, service) DO UPDATE SET state = EXCLUDED.state, updated = EXCLUDED.updated, ts = EXCLUDED.ts,
                epoch = EXCLUDED.epoch, seq = EXCLUDED.seq, change_id = EXCLUDED.change_id
            WHERE (agent_view.epoch, agent_view.seq) <= (EXCLUDED.epoch, EXCLUDED.seq)
            """, [PostgresArray.text(vs.map(\.agent)), PostgresArray.text(vs.map(\.service)), PostgresArray.text(vs.map(\.state.rawValue)),
                  PostgresArray.numbers(vs.map(\.updated)), PostgresArray.numbers(vs.map(\.ts)),
                  PostgresArray.numbers(vs.map(\.epoch)), PostgresArray.numbers(vs.map(\.seq)), id])
    }

    private func writeAgents(_ agents: [AgentInfo], _ id: String) throws {
        var last: [String: AgentInfo] = [:]
        for a in agents { last[a.agent] = a }
        for a in last.values {
            try connection.execute("""
                INSERT INTO agent (agent, last_seen, epoch, health, change_id) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (agent) DO UPDATE SET last_seen = GREATEST(agent.last_seen, EXCLUDED.last_seen),
                    epoch = GREATEST(agent.epoch, EXCLUDED.epoch), health = COALESCE(EXCLUDED.health, agent.health),
                    change_id = EXCLUDED.change_id
                """, [a.agent, "\(a.lastSeen)", "\(a.epoch)", a.health, id])
        }
    }

    // MARK: Shared changes

    public func changes(since cursor: Int64) throws -> SharedChanges {
        try locked {
            let c = connection
            return try c.transaction {
                // One snapshot: the cursor and the rows agree.
                try c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                let now = try c.execute("SELECT v FROM vigie_clock WHERE id = 1").rows.first?[0].flatMap { Int64($0) } ?? cursor
                var out = SharedChanges(cursor: now)
                guard now > cursor else { return out }
                let since = "\(cursor)"
                out.views = try c.execute("SELECT agent, service, state, updated, ts, epoch, seq FROM agent_view WHERE change_id > $1", [since])
                    .rows.compactMap(Self.view)
                out.agents = try c.execute("SELECT agent, last_seen, epoch, health FROM agent WHERE change_id > $1", [since]).rows.compactMap(Self.agent)
                if let json = try c.execute("SELECT json FROM inventory WHERE id = 1 AND change_id > $1", [since]).rows.first?[0] {
                    out.inventory = try SQLiteStore.decode(Inventory.self, json)
                }
                let marks = try c.execute("SELECT name FROM change_mark WHERE change_id > $1", [since]).rows.compactMap { $0[0] }
                if marks.contains("maintenance") {
                    out.maintenance = try c.execute("SELECT json FROM maintenance ORDER BY id").rows
                        .compactMap { try $0[0].map { try SQLiteStore.decode(MaintenanceWindow.self, $0) } }
                }
                if marks.contains("ack") {
                    out.acknowledgements = try c.execute("SELECT json FROM ack").rows
                        .compactMap { try $0[0].map { try SQLiteStore.decode(Acknowledgement.self, $0) } }
                }
                return out
            }
        }
    }

    public func dedupMarks(prefix: String) throws -> [DedupTracker.Key: DedupTracker.Mark] {
        try locked {
            var out: [DedupTracker.Key: DedupTracker.Mark] = [:]
            // starts_with, not LIKE: the prefix may hold % or _.
            for r in try connection.execute("SELECT agent, epoch, high, above FROM dedup WHERE starts_with(agent, $1)", [prefix]).rows {
                if let (k, m) = try Self.mark(r) { out[k] = m }
            }
            return out
        }
    }

    // MARK: Reads

    public func history(node: String, limit: Int = 50) throws -> [HistoryEntry] {
        try locked {
            try connection.execute("SELECT node, at, state, previous, causes FROM history WHERE node = $1 ORDER BY id DESC LIMIT $2",
                                   [node, "\(limit)"]).rows.compactMap { r in
                guard let node = r[0], let at = r[1].flatMap(Double.init) else { return nil }
                return HistoryEntry(node: node, at: at, state: r[2].flatMap(Health.init(rawValue:)) ?? .unknown,
                                    previous: r[3].flatMap(Health.init(rawValue:)),
                                    causes: r[4].flatMap { try? SQLiteStore.decode([String].self, $0) } ?? [])
            }
        }
    }

    public func historyRows(node: String, from: Double, to: Double) throws -> [(at: Double, state: Health)] {
        try locked {
            let c = connection
            let before = try c.execute("SELECT state FROM history WHERE node = $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT 1",
                                       [node, "\(from)"]).rows.map { (at: from, state: $0[0].flatMap(Health.init(rawValue:)) ?? .unknown) }
            let inside = try c.execute("SELECT at, state FROM history WHERE node = $1 AND at >= $2 AND at < $3 ORDER BY at, id",
                                       [node, "\(from)", "\(to)"]).rows.map {
                (at: $0[0].flatMap(Double.init) ?? from, state: $0[1].flatMap(Health.init(rawValue:)) ?? .unknown)
            }
            return before + inside
        }
    }

    public func flows(service: String?, limit: Int = 100) throws -> [FlowRecord] {
        try locked {
            let rows = service == nil
                ? try connection.execute("SELECT agent, kind, service, ts, line FROM flow ORDER BY ts DESC LIMIT $1", ["\(limit)"])
                : try connection.execute("SELECT agent, kind, service, ts, line FROM flow WHERE service = $1 ORDER BY ts DESC LIMIT $2",
                                         [service, "\(limit)"])
            return rows.rows.compactMap { r in
                guard let agent = r[0], let kind = r[1], let ts = r[3].flatMap(Double.init), let line = r[4] else { return nil }
                return FlowRecord(agent: agent, kind: kind, service: r[2], ts: ts, line: line)
            }
        }
    }

    public func prune(flowsBefore before: Double, keysBefore: Double) throws {
        try locked {
            try connection.execute("DELETE FROM flow WHERE ts < $1", ["\(before)"])
            try connection.execute("DELETE FROM idempotency WHERE at < $1", ["\(keysBefore)"])
        }
    }
}

/// Waits for `NOTIFY vigie_changes` on a connection of its own (`LISTEN` needs a connection that
/// is not inside other transactions). Blocking: run it on a thread of its own.
public final class PostgresChangeListener {
    private let connection: PostgresConnection

    public init(url: String) throws {
        connection = try PostgresConnection(url: url)
        try connection.execute("LISTEN \(PostgresStore.channel)")
    }

    /// Waits up to `timeoutMs` for a notification; true when one (or more) arrived. A lost
    /// connection is re-established and LISTEN renewed (returns true: changes may have been missed).
    public func wait(timeoutMs: Int32) -> Bool {
        var fds = pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0)
        if fds.fd < 0 {
            // Connection lost: reconnect (and LISTEN again) or wait before the next try.
            if (try? connection.execute("LISTEN \(PostgresStore.channel)")) != nil { return true }
            usleep(UInt32(max(timeoutMs, 0)) * 1000)
            return false
        }
        if poll(&fds, 1, timeoutMs) > 0 {
            do {
                return !(try connection.takeNotifications()).isEmpty
            } catch {
                _ = try? connection.execute("LISTEN \(PostgresStore.channel)")
                return true
            }
        }
        return false
    }
}
