import Foundation
import Yams

/// The rules in force: the file's (read-only through the API) and the API's (stored, so they
/// survive a restart), and the receivers they may name. Thread-safe: the HTTP handlers edit it,
/// the evaluator reads it every tick.
public final class NotificationRuleBook: @unchecked Sendable {
    // @unchecked: `apiRules` is read and written under `lock`; the rest is immutable.
    private let lock = NSLock()
    public let config: NotificationConfig
    private let store: (any NotificationStorage)?
    private var apiRules: [String: NotificationRule] = [:]

    /// Loads the API's stored rules. One named like a file rule is shadowed by it (the file wins:
    /// an operator who moves a rule into the file takes it over).
    public init(config: NotificationConfig, store: (any NotificationStorage)?) throws {
        self.config = config
        self.store = store
        let fileIDs = Set(config.rules.map(\.id))
        for r in try store?.loadNotificationRules() ?? [] where !fileIDs.contains(r.id) { apiRules[r.id] = r }
    }

    /// Re-reads the API's rules from the store: with PostgreSQL another instance may have added or
    /// deleted one, and the instance that notifies must evaluate them all. The evaluator calls it
    /// every few seconds; a failed read keeps the rules as they are.
    public func reload() {
        guard let store, let stored = try? store.loadNotificationRules() else { return }
        let fileIDs = Set(config.rules.map(\.id))
        let fresh = Dictionary(stored.filter { !fileIDs.contains($0.id) }.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        lock.withLock { apiRules = fresh }
    }

    /// File rules first, then the API's by name.
    public func rules() -> [NotificationRule] {
        config.rules + lock.withLock { apiRules.values.sorted { $0.id < $1.id } }
    }

    /// A rule from an API request body (JSON), checked like a file rule.
    public func parseRule(json bytes: [UInt8]) throws(NotificationConfigError) -> NotificationRule {
        let object: Any?
        do { object = try Yams.load(yaml: String(decoding: bytes, as: UTF8.self)) } catch {
            throw NotificationConfigError(.invalid, key: "(body)", "not valid JSON")
        }
        return try NotificationRule.parse(object as Any, key: "(body)", receivers: config.receivers, origin: .api)
    }

    public func add(_ rule: NotificationRule) throws(NotificationConfigError) {
        var rule = rule
        rule.origin = .api
        if config.rules.contains(where: { $0.id == rule.id }) {
            throw NotificationConfigError(.readOnly, key: "name", "rule '\(rule.id)' is defined in the notifications file: change it there")
        }
        try locked { () throws(NotificationConfigError) in
            guard apiRules[rule.id] == nil else {
                throw NotificationConfigError(.conflict, key: "name", "rule '\(rule.id)' exists: delete it first")
            }
            do { try store?.saveNotificationRule(rule) } catch { throw NotificationConfigError(.storage, key: "name", "not stored: \(error)") }
            apiRules[rule.id] = rule
        }
    }

    public func remove(id: String) throws(NotificationConfigError) {
        if config.rules.contains(where: { $0.id == id }) {
            throw NotificationConfigError(.readOnly, key: "id", "rule '\(id)' is defined in the notifications file and is read-only through the API")
        }
        try locked { () throws(NotificationConfigError) in
            guard apiRules[id] != nil else { throw NotificationConfigError(.notFound, key: "id", "no rule '\(id)'") }
            do { try store?.deleteNotificationRule(id: id) } catch { throw NotificationConfigError(.storage, key: "id", "not deleted: \(error)") }
            apiRules[id] = nil
        }
    }

    /// `body` under the lock (typed throws, unlike `NSLock.withLock` on Linux).
    private func locked<T>(_ body: () throws(NotificationConfigError) -> T) throws(NotificationConfigError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
