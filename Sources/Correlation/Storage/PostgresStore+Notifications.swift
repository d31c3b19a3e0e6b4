import Foundation

extension PostgresStore {
    /// The notification tables, created with the rest of the schema (the one hook in PostgresStore.swift).
    static let notificationSchema = [
        "CREATE TABLE IF NOT EXISTS notification_rule (id TEXT PRIMARY KEY, json TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS notification_episode (rule TEXT NOT NULL, node TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (rule, node))",
        """
        CREATE TABLE IF NOT EXISTS notification_outbox (id BIGSERIAL PRIMARY KEY, receiver TEXT NOT NULL, episode TEXT NOT NULL,
            kind TEXT NOT NULL, payload TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL, attempts INT NOT NULL,
            next_attempt DOUBLE PRECISION NOT NULL, last_error TEXT)
        """,
        "CREATE INDEX IF NOT EXISTS notification_outbox_receiver ON notification_outbox (receiver, id)",
    ]

    /// The notification store on a connection of its own: the evaluator and the delivery thread
    /// never wait behind an ingest write (nor the reverse).
    public func notificationStore() throws -> PostgresNotificationStore { try PostgresNotificationStore(url: url) }
}

/// The notification tables of a PostgreSQL store (see ``NotificationStorage``).
///
/// Server instances sharing the database share the outbox: only the instance holding the
/// session advisory lock 7161802 (``claimNotifications()``) evaluates and delivers, so one
/// outage is notified once, not once per instance; if it dies, its session ends and another
/// instance takes over with the stored episodes and outbox.
public final class PostgresNotificationStore: NotificationStorage, @unchecked Sendable {
    // @unchecked: `connection` and `lastClaimValue` are only used under `lock`.
    private let lock = NSLock()
    private let connection: PostgresConnection
    /// The last answer of ``claimNotifications()`` and when it was asked.
    private var lastClaimValue: (at: Date, held: Bool)?
    private var lastClaim: (at: Date, held: Bool)? { lock.withLock { lastClaimValue } }

    init(url: String) throws {
        connection = try PostgresConnection(url: url)
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Holds (or takes) the notifier lock. Asked every time, not remembered: a connection that was
    /// lost and re-established silently lost the lock with its session, and another instance may
    /// hold it now. A held lock is not taken again (session locks stack).
    public func claimNotifications() -> Bool {
        let sql = """
            SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = 7161802
                                     AND objsubid = 1 AND pid = pg_backend_pid() AND granted)
                        THEN true ELSE pg_try_advisory_lock(7161802) END
            """
        // The evaluator and every receiver's thread ask, several times a second: one query a second.
        let now = Date()
        if let c = lastClaim, now.timeIntervalSince(c.at) < 1, now >= c.at { return c.held }
        let held = (try? locked { try connection.execute(sql).rows.first?[0] == "t" }) ?? false
        lock.withLock { lastClaimValue = (now, held) }
        return held
    }

    public func loadNotificationEpisodes() throws -> [NotificationEpisode] {
        try locked {
            try connection.execute("SELECT json FROM notification_episode").rows.compactMap { try $0[0].map { try SQLiteStore.decode(NotificationEpisode.self, $0) } }
        }
    }

    public func loadNotificationRules() throws -> [NotificationRule] {
        try locked {
            try connection.execute("SELECT json FROM notification_rule ORDER BY id").rows.compactMap { try $0[0].map { try SQLiteStore.decode(NotificationRule.self, $0) } }
        }
    }

    public func saveNotificationRule(_ rule: NotificationRule) throws {
        let json = try SQLiteStore.json(rule)
        try locked {
            _ = try connection.execute("INSERT INTO notification_rule (id, json) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json",
                                       [rule.id, json])
        }
    }

    public func deleteNotificationRule(id: String) throws {
        try locked { _ = try connection.execute("DELETE FROM notification_rule WHERE id = $1", [id]) }
    }

    public func commitNotifications(_ step: EvaluationStep, entries: [OutboxEntry], maxOutbox: Int) throws -> Int {
        let saved = try step.saved.map { ($0, try SQLiteStore.json($0)) }
        return try locked {
            try connection.transaction {
                for key in step.ended {
                    _ = try connection.execute("DELETE FROM notification_episode WHERE rule = $1 AND node = $2", [key.rule, key.node])
                }
                for (e, json) in saved {
                    _ = try connection.execute("""
                        INSERT INTO notification_episode (rule, node, json) VALUES ($1, $2, $3)
                        ON CONFLICT (rule, node) DO UPDATE SET json = EXCLUDED.json
                        """, [e.rule, e.node, json])
                }
                for o in entries {
                    _ = try connection.execute("""
                        INSERT INTO notification_outbox (receiver, episode, kind, payload, created_at, attempts, next_attempt, last_error)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                        """, [o.receiver, o.episode, o.kind.rawValue, String(decoding: o.payload, as: UTF8.self), "\(o.createdAt)",
                              "\(o.attempts)", "\(o.nextAttempt)", o.lastError])
                }
                guard !entries.isEmpty else { return 0 }
                let count = try connection.execute("SELECT COUNT(*) FROM notification_outbox").rows.first?[0].flatMap { Int($0) } ?? 0
                let excess = count - maxOutbox
                guard excess > 0 else { return 0 }
                _ = try connection.execute("DELETE FROM notification_outbox WHERE id IN (SELECT id FROM notification_outbox ORDER BY id LIMIT $1)",
                                           ["\(excess)"])
                return excess
            }
        }
    }

    public func dueNotifications(now: Double) throws -> [OutboxEntry] {
        try locked {
            try connection.execute("""
                SELECT id, receiver, episode, kind, payload, created_at, attempts, next_attempt, last_error FROM notification_outbox
                WHERE id IN (SELECT MIN(id) FROM notification_outbox GROUP BY receiver) AND next_attempt <= $1 ORDER BY id
                """, ["\(now)"]).rows.compactMap(Self.outboxEntry)
        }
    }

    public func dueNotification(receiver: String, now: Double) throws -> OutboxEntry? {
        try locked {
            try connection.execute("""
                SELECT id, receiver, episode, kind, payload, created_at, attempts, next_attempt, last_error FROM notification_outbox
                WHERE receiver = $1 ORDER BY id LIMIT 1
                """, [receiver]).rows.first.flatMap(Self.outboxEntry).flatMap { $0.nextAttempt <= now ? $0 : nil }
        }
    }

    public func notificationReceivers() throws -> [String] {
        try locked { try connection.execute("SELECT DISTINCT receiver FROM notification_outbox").rows.compactMap { $0[0] } }
    }

    static func outboxEntry(_ r: [String?]) -> OutboxEntry? {
        guard r.count == 9, let id = r[0].flatMap({ Int64($0) }), let receiver = r[1], let episode = r[2],
              let kind = r[3].flatMap(NotificationEvent.Kind.init(rawValue:)), let payload = r[4],
              let created = r[5].flatMap(Double.init), let attempts = r[6].flatMap({ Int($0) }), let next = r[7].flatMap(Double.init) else {
            return nil
        }
        return OutboxEntry(id: id, receiver: receiver, episode: episode, kind: kind, payload: Array(payload.utf8), createdAt: created,
                           attempts: attempts, nextAttempt: next, lastError: r[8])
    }

    public func notificationDelivered(id: Int64) throws {
        try locked { _ = try connection.execute("DELETE FROM notification_outbox WHERE id = $1", ["\(id)"]) }
    }

    public func notificationFailed(id: Int64, attempts: Int, nextAttempt: Double, error: String) throws {
        try locked {
            _ = try connection.execute("UPDATE notification_outbox SET attempts = $1, next_attempt = $2, last_error = $3 WHERE id = $4",
                                       ["\(attempts)", "\(nextAttempt)", String(error.prefix(500)), "\(id)"])
        }
    }

    public func dropNotifications(receiver: String) throws -> Int {
        try locked {
            try connection.execute("WITH d AS (DELETE FROM notification_outbox WHERE receiver = $1 RETURNING 1) SELECT COUNT(*) FROM d", [receiver])
                .rows.first?[0].flatMap { Int($0) } ?? 0
        }
    }

    public func notificationOutboxCount() throws -> Int {
        try locked { try connection.execute("SELECT COUNT(*) FROM notification_outbox").rows.first?[0].flatMap { Int($0) } ?? 0 }
    }
}
