import Foundation
import GRDB

/// The notification tables in the SQLite store: API rules, open episodes, and the outbox.
/// Episode changes and the entries they queue are one transaction (WAL, synchronous FULL): a
/// notification is durable before any delivery is tried, and a restart finds exactly it.
extension SQLiteStore: NotificationStorage {
    /// Registered by `migrator` (the one hook in SQLiteStore.swift).
    static func registerNotificationMigrations(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-notifications") { db in
            try db.execute(sql: """
                CREATE TABLE notification_rule (id TEXT PRIMARY KEY, json TEXT NOT NULL);
                CREATE TABLE notification_episode (rule TEXT NOT NULL, node TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (rule, node));
                CREATE TABLE notification_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, receiver TEXT NOT NULL, episode TEXT NOT NULL,
                    kind TEXT NOT NULL, payload TEXT NOT NULL, created_at REAL NOT NULL, attempts INTEGER NOT NULL,
                    next_attempt REAL NOT NULL, last_error TEXT);
                CREATE INDEX notification_outbox_receiver ON notification_outbox (receiver, id);
                """)
        }
    }

    public func loadNotificationEpisodes() throws -> [NotificationEpisode] {
        try db.read { db in try String.fetchAll(db, sql: "SELECT json FROM notification_episode").map { try Self.decode(NotificationEpisode.self, $0) } }
    }

    public func loadNotificationRules() throws -> [NotificationRule] {
        try db.read { db in try String.fetchAll(db, sql: "SELECT json FROM notification_rule ORDER BY id").map { try Self.decode(NotificationRule.self, $0) } }
    }

    public func saveNotificationRule(_ rule: NotificationRule) throws {
        try db.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO notification_rule (id, json) VALUES (?, ?)", arguments: [rule.id, try Self.json(rule)])
        }
    }

    public func deleteNotificationRule(id: String) throws {
        try db.write { db in try db.execute(sql: "DELETE FROM notification_rule WHERE id = ?", arguments: [id]) }
    }

    public func commitNotifications(_ step: EvaluationStep, entries: [OutboxEntry], maxOutbox: Int) throws -> Int {
        try db.write { db in
            for key in step.ended {
                try db.execute(sql: "DELETE FROM notification_episode WHERE rule = ? AND node = ?", arguments: [key.rule, key.node])
            }
            for e in step.saved {
                try db.execute(sql: "INSERT OR REPLACE INTO notification_episode (rule, node, json) VALUES (?, ?, ?)",
                               arguments: [e.rule, e.node, try Self.json(e)])
            }
            for o in entries {
                try db.execute(sql: """
                    INSERT INTO notification_outbox (receiver, episode, kind, payload, created_at, attempts, next_attempt, last_error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [o.receiver, o.episode, o.kind.rawValue, String(decoding: o.payload, as: UTF8.self), o.createdAt,
                                     o.attempts, o.nextAttempt, o.lastError])
            }
            guard !entries.isEmpty else { return 0 }
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notification_outbox") ?? 0
            let excess = count - maxOutbox
            guard excess > 0 else { return 0 }
            try db.execute(sql: "DELETE FROM notification_outbox WHERE id IN (SELECT id FROM notification_outbox ORDER BY id LIMIT ?)",
                           arguments: [excess])
            return excess
        }
    }

    public func dueNotifications(now: Double) throws -> [OutboxEntry] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, receiver, episode, kind, payload, created_at, attempts, next_attempt, last_error FROM notification_outbox
                WHERE id IN (SELECT MIN(id) FROM notification_outbox GROUP BY receiver) AND next_attempt <= ? ORDER BY id
                """, arguments: [now]).compactMap(Self.outboxEntry)
        }
    }

    public func dueNotification(receiver: String, now: Double) throws -> OutboxEntry? {
        try db.read { db in
            try Row.fetchOne(db, sql: """
                SELECT id, receiver, episode, kind, payload, created_at, attempts, next_attempt, last_error FROM notification_outbox
                WHERE receiver = ? ORDER BY id LIMIT 1
                """, arguments: [receiver]).flatMap(Self.outboxEntry).flatMap { $0.nextAttempt <= now ? $0 : nil }
        }
    }

    public func notificationReceivers() throws -> [String] {
        try db.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT receiver FROM notification_outbox") }
    }

    static func outboxEntry(_ r: Row) -> OutboxEntry? {
        guard let kind = NotificationEvent.Kind(rawValue: r["kind"]) else { return nil }
        let payload: String = r["payload"]
        return OutboxEntry(id: r["id"], receiver: r["receiver"], episode: r["episode"], kind: kind, payload: Array(payload.utf8),
                           createdAt: r["created_at"], attempts: r["attempts"], nextAttempt: r["next_attempt"], lastError: r["last_error"])
    }

    public func notificationDelivered(id: Int64) throws {
        try db.write { db in try db.execute(sql: "DELETE FROM notification_outbox WHERE id = ?", arguments: [id]) }
    }

    public func notificationFailed(id: Int64, attempts: Int, nextAttempt: Double, error: String) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE notification_outbox SET attempts = ?, next_attempt = ?, last_error = ? WHERE id = ?",
                           arguments: [attempts, nextAttempt, String(error.prefix(500)), id])
        }
    }

    public func dropNotifications(receiver: String) throws -> Int {
        try db.write { db in
            try db.execute(sql: "DELETE FROM notification_outbox WHERE receiver = ?", arguments: [receiver])
            return db.changesCount
        }
    }

    public func notificationOutboxCount() throws -> Int {
        try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notification_outbox") ?? 0 }
    }
}
