import Foundation

/// One notification to one receiver, stored before it is sent and removed once the receiver
/// answered (2xx; for syslog, once the datagram or the TCP write went out). `payload` is final:
/// every retry sends the same bytes (same fingerprint).
public struct OutboxEntry: Sendable, Hashable {
    /// Given by the store (insertion order: a receiver gets its notifications in that order).
    public var id: Int64
    public var receiver: String
    public var episode: String
    public var kind: NotificationEvent.Kind
    public var payload: [UInt8]
    public var createdAt: Double
    public var attempts: Int
    public var nextAttempt: Double
    public var lastError: String?

    public init(id: Int64 = 0, receiver: String, episode: String, kind: NotificationEvent.Kind, payload: [UInt8], createdAt: Double,
                attempts: Int = 0, nextAttempt: Double, lastError: String? = nil) {
        self.id = id; self.receiver = receiver; self.episode = episode; self.kind = kind; self.payload = payload
        self.createdAt = createdAt; self.attempts = attempts; self.nextAttempt = nextAttempt; self.lastError = lastError
    }
}

/// Where notification state lives: the server's store (SQLite or PostgreSQL), in tables of
/// their own (`SQLiteStore+Notifications.swift`, `PostgresStore+Notifications.swift`).
public protocol NotificationStorage: AnyObject, Sendable {
    /// Open episodes (pending or firing).
    func loadNotificationEpisodes() throws -> [NotificationEpisode]
    /// The rules created through the API.
    func loadNotificationRules() throws -> [NotificationRule]
    func saveNotificationRule(_ rule: NotificationRule) throws
    func deleteNotificationRule(id: String) throws
    /// One transaction: episodes saved and ended, entries queued. When the outbox then holds
    /// more than `maxOutbox` entries the oldest are deleted; returns how many.
    func commitNotifications(_ step: EvaluationStep, entries: [OutboxEntry], maxOutbox: Int) throws -> Int
    /// The oldest entry of each receiver, if due at `now` (a receiver's entries go out in order:
    /// a resolved never overtakes its firing).
    func dueNotifications(now: Double) throws -> [OutboxEntry]
    /// The oldest entry of `receiver` if it is due at `now`; nil when it has none or its oldest
    /// waits for its retry time (what comes after it waits too).
    func dueNotification(receiver: String, now: Double) throws -> OutboxEntry?
    /// The receivers that have entries.
    func notificationReceivers() throws -> [String]
    func notificationDelivered(id: Int64) throws
    func notificationFailed(id: Int64, attempts: Int, nextAttempt: Double, error: String) throws
    /// Drops a receiver's entries (it no longer exists); returns how many.
    func dropNotifications(receiver: String) throws -> Int
    func notificationOutboxCount() throws -> Int
    /// True when this server instance is the one that evaluates and delivers (instances sharing
    /// a PostgreSQL store elect one); an embedded store always is.
    func claimNotifications() -> Bool
}

extension NotificationStorage {
    public func claimNotifications() -> Bool { true }
}

/// Counters of the notification path (`/metrics`), updated by the evaluator and delivery threads.
public final class NotificationMetrics: @unchecked Sendable {
    // @unchecked: every field is read and written under `lock`.
    private let lock = NSLock()
    private var values = Snapshot()

    public struct Snapshot: Sendable {
        public var queued: UInt64 = 0
        public var delivered: UInt64 = 0
        public var failedAttempts: UInt64 = 0
        /// Entries deleted because the outbox was full, or whose receiver no longer exists.
        public var dropped: UInt64 = 0
        public var outboxSize = 0
        public var evaluationFailures: UInt64 = 0
    }

    public init() {}

    public var snapshot: Snapshot { lock.withLock { values } }

    public func update(_ body: (inout Snapshot) -> Void) { lock.withLock { body(&values) } }
}
