import Foundation
import Testing
import VigieTestSupport
@testable import Correlation

/// The notification tables in PostgreSQL: same behaviour as SQLite's, and one notifier among instances.
@Suite("Notifications in PostgreSQL", .serialized,
       .enabled(if: PostgresServer.unavailableReason == nil, "needs PostgreSQL server binaries (apt install postgresql)"))
struct PostgresNotificationTests {
    func database() throws -> String {
        let pg = try #require(suitePostgres, "PostgreSQL test server did not start")
        let name = "n_" + UUID().uuidString.prefix(8).lowercased()
        try pg.createDatabase(name)
        return pg.url(name)
    }

    func entry(_ receiver: String, _ kind: NotificationEvent.Kind, _ ep: String) -> OutboxEntry {
        OutboxEntry(receiver: receiver, episode: ep, kind: kind, payload: Array(#"{"a":"é"}"#.utf8), createdAt: 0, nextAttempt: 0)
    }

    @Test("episodes, rules and the outbox: order, backoff, bound, restart")
    func outbox() throws {
        let url = try database()
        let rule = NotificationRule(id: "db-down", node: "10.0.0.7:5432/tcp", state: .down, forSeconds: 0, receivers: ["a"], origin: .api)
        var ev = NotificationEvaluator()
        let step = ev.evaluate(rules: [rule], nodes: [NodeAlertView(id: "10.0.0.7:5432/tcp", kind: .endpoint, state: .down)], now: 10)
        do {
            let store = try PostgresStore(url: url).notificationStore()
            try store.saveNotificationRule(rule)
            _ = try store.commitNotifications(step, entries: [entry("a", .firing, "e1"), entry("b", .firing, "e1"), entry("a", .resolved, "e1")],
                                              maxOutbox: 10)
        }
        let store = try PostgresStore(url: url).notificationStore()
        #expect(try store.loadNotificationRules() == [rule])
        #expect(try store.loadNotificationEpisodes().map(\.phase) == [.firing])
        var due = try store.dueNotifications(now: 1)
        #expect(due.map(\.receiver) == ["a", "b"] && due[0].kind == .firing && due[0].payload == Array(#"{"a":"é"}"#.utf8))
        try store.notificationFailed(id: due[0].id, attempts: 1, nextAttempt: 50, error: "HTTP 500")
        due = try store.dueNotifications(now: 2)
        #expect(due.map(\.receiver) == ["b"])
        #expect(try store.dueNotification(receiver: "a", now: 2) == nil)
        #expect(try store.dueNotification(receiver: "b", now: 2) == due[0])
        #expect(try Set(store.notificationReceivers()) == ["a", "b"])
        try store.notificationDelivered(id: due[0].id)
        due = try store.dueNotifications(now: 60)
        #expect(due.count == 1 && due[0].attempts == 1 && due[0].lastError == "HTTP 500")
        #expect(try store.commitNotifications(EvaluationStep(), entries: (0..<3).map { entry("c", .firing, "x\($0)") }, maxOutbox: 3) == 2)
        #expect(try store.notificationOutboxCount() == 3)
        #expect(try store.dropNotifications(receiver: "c") == 3)
        try store.deleteNotificationRule(id: "db-down")
        #expect(try store.loadNotificationRules().isEmpty)
    }

    @Test("one notifier among the instances sharing the database; another takes over when it goes")
    func oneNotifier() throws {
        let url = try database()
        var first: PostgresNotificationStore? = try PostgresStore(url: url).notificationStore()
        let second = try PostgresStore(url: url).notificationStore()
        #expect(first?.claimNotifications() == true)
        #expect(first?.claimNotifications() == true)
        #expect(second.claimNotifications() == false)
        // The notifier goes (its session ends): the other one takes over.
        first = nil
        #expect(ChildProcesses.waitFor(10) { second.claimNotifications() })
    }
}
