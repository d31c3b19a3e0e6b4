import Foundation
import Testing
import VigieTestSupport
@testable import Correlation

/// The notification evaluator driven with an injected time, its configuration, and its tables.
@Suite("Notifications: evaluator, rules, outbox")
struct NotificationTests {
    static let db = "10.0.0.7:5432/tcp"

    func rule(_ id: String = "db-down", node: String? = db, kind: NodeKind? = nil, state: Health = .down, for d: Double = 30,
              repeat r: Double? = nil) -> NotificationRule {
        NotificationRule(id: id, node: node, kind: kind, state: state, forSeconds: d, repeatSeconds: r, receivers: ["hook"])
    }

    func node(_ state: Health, id: String = db, kind: NodeKind = .endpoint, maintenance: Bool = false, acked: Bool = false) -> NodeAlertView {
        NodeAlertView(id: id, kind: kind, state: state, causes: ["edge-paris-01"], maintenance: maintenance, acknowledged: acked)
    }

    func kinds(_ step: EvaluationStep) -> [NotificationEvent.Kind] { step.events.map(\.kind) }

    @Test("fires only after the state lasted `for` seconds; a shorter blip is forgotten")
    func forDuration() {
        var ev = NotificationEvaluator()
        let r = [rule(for: 30)]
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down)], now: 0)) == [])
        #expect(ev.episodes.first?.value.phase == .pending)
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down)], now: 29)) == [])
        // A blip: back to OK before 30 s, nothing sent, nothing to resolve.
        let blip = ev.evaluate(rules: r, nodes: [node(.ok)], now: 29.5)
        #expect(kinds(blip) == [] && blip.ended.count == 1 && ev.episodes.isEmpty)
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down)], now: 40)) == [])
        let fired = ev.evaluate(rules: r, nodes: [node(.down)], now: 70)
        #expect(kinds(fired) == [.firing])
        #expect(fired.events.first?.episode.startedAt == 40)
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down)], now: 71)) == [])
    }

    @Test("at or worse than the rule's state; UNKNOWN neither starts nor ends an episode")
    func severityScale() {
        var ev = NotificationEvaluator()
        let r = [rule(state: .degraded, for: 0)]
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.warning)], now: 0)) == [])
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down)], now: 1)) == [.firing])
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.degraded)], now: 2)) == [])
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.unknown)], now: 3)) == [])
        #expect(ev.episodes.first?.value.phase == .firing)
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.warning)], now: 4)) == [.resolved])
    }

    @Test("no firing while in maintenance or acknowledged; fires when it ends if still bad")
    func maintenanceAndAck() {
        var ev = NotificationEvaluator()
        let r = [rule(for: 10)]
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down, maintenance: true)], now: 0)) == [])
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down, maintenance: true)], now: 100)) == [])
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down, acked: true)], now: 200)) == [])
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down)], now: 201)) == [.firing])
        // Maintenance over a bad node that recovers during it: never notified.
        var quiet = NotificationEvaluator()
        #expect(kinds(quiet.evaluate(rules: r, nodes: [node(.down, maintenance: true)], now: 0)) == [])
        #expect(kinds(quiet.evaluate(rules: r, nodes: [node(.ok, maintenance: true)], now: 50)) == [])
        #expect(kinds(quiet.evaluate(rules: r, nodes: [node(.ok)], now: 60)) == [] && quiet.episodes.isEmpty)
    }

    @Test("repeats every `repeat` seconds while firing, not while acknowledged; resolved follows")
    func repeatAndResolve() {
        var ev = NotificationEvaluator()
        let r = [rule(for: 0, repeat: 60)]
        let fired = ev.evaluate(rules: r, nodes: [node(.down)], now: 0)
        #expect(kinds(fired) == [.firing])
        let id = fired.events[0].episode.id
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down)], now: 59)) == [])
        let again = ev.evaluate(rules: r, nodes: [node(.down)], now: 60)
        #expect(kinds(again) == [.repeat] && again.events[0].episode.id == id)
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down, acked: true)], now: 200)) == [])
        let resolved = ev.evaluate(rules: r, nodes: [node(.ok)], now: 300)
        #expect(kinds(resolved) == [.resolved])
        #expect(resolved.events[0].episode.id == id && resolved.events[0].episode.resolvedAt == 300)
        // A new episode has a new id.
        let next = ev.evaluate(rules: r, nodes: [node(.down)], now: 400)
        #expect(kinds(next) == [.firing] && next.events[0].episode.id != id)
    }

    @Test("a firing episode whose rule or node disappears is resolved to the same receivers")
    func resolvedAlwaysFollowsFiring() {
        var ev = NotificationEvaluator()
        #expect(kinds(ev.evaluate(rules: [rule(for: 0)], nodes: [node(.down)], now: 0)) == [.firing])
        let gone = ev.evaluate(rules: [], nodes: [node(.down)], now: 5)
        #expect(kinds(gone) == [.resolved])
        #expect(gone.events[0].rule.receivers == ["hook"])
        #expect(kinds(ev.evaluate(rules: [rule(for: 0)], nodes: [node(.down)], now: 6)) == [.firing])
        #expect(kinds(ev.evaluate(rules: [rule(for: 0)], nodes: [], now: 7)) == [.resolved])
    }

    @Test("a kind rule watches every node of that kind, one episode each")
    func kindRule() {
        var ev = NotificationEvaluator()
        let r = [rule("svc", node: nil, kind: .service, state: .degraded, for: 0)]
        let step = ev.evaluate(rules: r, nodes: [node(.down, id: "db", kind: .service), node(.degraded, id: "web", kind: .service), node(.down)],
                               now: 0)
        #expect(Set(step.events.map(\.episode.node)) == ["db", "web"])
    }

    @Test("restart: episodes and the outbox come back from SQLite; nothing lost, nothing sent twice")
    func restart() throws {
        let dir = Support.temporaryDirectory("notify-restart")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = [rule(for: 10)]
        do {
            let store = try SQLiteStore(directory: dir)
            var ev = NotificationEvaluator()
            for (t, state) in [(0.0, Health.down), (5, .down), (10, .down)] {
                let step = ev.evaluate(rules: r, nodes: [node(state)], now: t)
                let entries = step.events.map { OutboxEntry(receiver: "hook", episode: $0.episode.id, kind: $0.kind, payload: Array("x".utf8),
                                                            createdAt: t, nextAttempt: t) }
                _ = try store.commitNotifications(step, entries: entries, maxOutbox: 100)
            }
            #expect(try store.notificationOutboxCount() == 1)
        }
        let store = try SQLiteStore(directory: dir)
        var ev = NotificationEvaluator(episodes: try store.loadNotificationEpisodes())
        #expect(ev.episodes.first?.value.phase == .firing)
        // Still down after the restart: no second firing.
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.down)], now: 20)) == [])
        #expect(kinds(ev.evaluate(rules: r, nodes: [node(.ok)], now: 30)) == [.resolved])
        let due = try store.dueNotifications(now: 100)
        #expect(due.map(\.kind) == [.firing])
    }

    @Test("outbox: a receiver's entries go out in order, backoff holds them, the bound drops the oldest")
    func outbox() throws {
        let dir = Support.temporaryDirectory("notify-outbox")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        func entry(_ receiver: String, _ kind: NotificationEvent.Kind, _ ep: String) -> OutboxEntry {
            OutboxEntry(receiver: receiver, episode: ep, kind: kind, payload: Array("{}".utf8), createdAt: 0, nextAttempt: 0)
        }
        _ = try store.commitNotifications(EvaluationStep(), entries: [entry("a", .firing, "e1"), entry("b", .firing, "e1"), entry("a", .resolved, "e1")],
                                          maxOutbox: 10)
        var due = try store.dueNotifications(now: 1)
        #expect(due.map(\.receiver) == ["a", "b"] && due[0].kind == .firing)
        // a's firing fails: its resolved waits behind it.
        try store.notificationFailed(id: due[0].id, attempts: 1, nextAttempt: 50, error: "HTTP 500")
        due = try store.dueNotifications(now: 2)
        #expect(due.map(\.receiver) == ["b"])
        #expect(try store.dueNotification(receiver: "a", now: 2) == nil)
        #expect(try store.dueNotification(receiver: "b", now: 2)?.id == due[0].id)
        #expect(try Set(store.notificationReceivers()) == ["a", "b"])
        try store.notificationDelivered(id: due[0].id)
        #expect(try store.dueNotification(receiver: "b", now: 2) == nil)
        due = try store.dueNotifications(now: 60)
        #expect(due.count == 1 && due[0].kind == .firing && due[0].attempts == 1 && due[0].lastError == "HTTP 500")
        #expect(try store.dueNotification(receiver: "a", now: 60) == due[0])
        let dropped = try store.commitNotifications(EvaluationStep(), entries: (0..<3).map { entry("c", .firing, "x\($0)") }, maxOutbox: 3)
        #expect(dropped == 2)
        #expect(try store.notificationOutboxCount() == 3)
        #expect(try store.dueNotifications(now: 60).first { $0.receiver == "c" }?.episode == "x0")
        #expect(try store.dueNotifications(now: 60).contains { $0.receiver == "a" && $0.kind == .firing } == false)
    }

    @Test("the correlator's alert view shows maintenance and acknowledgements")
    func alertView() throws {
        let clock = TestClock()
        let c = try Correlator(inventory: try Inventory.parse(yaml: shopYAML), clock: clock.function)
        _ = c.ingest(Lines.batch([Lines.serviceState(seq: 1, service: Self.db, state: "UNREACHABLE")]))
        #expect(c.alertView().first { $0.id == Self.db }?.state == .down)
        try c.acknowledge(node: Self.db)
        #expect(c.alertView().first { $0.id == Self.db }?.acknowledged == true)
        try c.addMaintenance(node: "db", start: clock.now - 1, end: clock.now + 100)
        #expect(c.alertView().first { $0.id == "db" }?.maintenance == true)
    }

    @Test("configuration: a valid file, and errors naming the key")
    func configuration() throws {
        let yaml = """
            allow: [10.0.0.0/8]
            retry_max_s: 30
            receivers:
              hook: {webhook: {url: "https://alerts.example/hook", timeout_s: 5}}
              log: {syslog: {address: "[::1]:514", protocol: tcp, facility: local5}}
            rules:
              - {name: db-down, node: "10.0.0.7:5432/tcp", state: down, for_s: 30, repeat_s: 600, receivers: [hook, log]}
              - {name: services, kind: service, state: DEGRADED, severity: warning, receivers: hook}
            """
        let c = try NotificationConfig.parse(yaml: yaml)
        #expect(c.rules.map(\.id) == ["db-down", "services"])
        #expect(c.rules[0].forSeconds == 30 && c.rules[0].repeatSeconds == 600 && c.rules[1].kind == .service)
        #expect(c.receivers["log"]?.target == .syslog(.init(host: "::1", port: 514, transport: .tcp, facility: 21)))
        #expect(c.allow == ["10.0.0.0/8"] && c.retryMax == 30)
        let bad: [(String, String)] = [
            ("rules: [{name: a, node: x, receivers: [h]}]", "rules[0].receivers"),
            ("receivers: {h: {webhook: {url: ftp://x}}}", "receivers.h.webhook.url"),
            ("receivers: {h: {webhook: {url: 'http://x'}}}\nrules: [{name: a, node: x, kind: service, receivers: [h]}]", "rules[0]"),
            ("receivers: {h: {webhook: {url: 'http://x'}}}\nrules: [{name: a, node: x, for_s: -1, receivers: [h]}]", "rules[0].for_s"),
            ("receivers: {h: {webhook: {url: 'http://x'}}}\nrules: [{name: a, node: x, state: OK, receivers: [h]}]", "rules[0].state"),
            ("receivers: {h: {syslog: {address: 'host'}}}", "receivers.h.syslog.address"),
            ("receivers: {h: {syslog: {address: 'h:514', facility: local9}}}", "receivers.h.syslog.facility"),
            ("rule: []", "rule"),
        ]
        for (text, key) in bad {
            do {
                _ = try NotificationConfig.parse(yaml: text)
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.key == key, "\(text): \(error)")
            }
        }
    }

    @Test("payloads: Alertmanager's webhook JSON and an RFC 5424 line, fingerprint = episode id")
    func payloads() throws {
        var ev = NotificationEvaluator()
        let e = ev.evaluate(rules: [rule(for: 0)], nodes: [node(.down)], now: 1_700_000_000).events[0]
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(AlertmanagerPayload(event: e, receiver: "hook",
                                                                                                externalURL: "http://vigie:8480").json())) as? [String: Any])
        #expect(doc["version"] as? String == "4" && doc["status"] as? String == "firing" && doc["receiver"] as? String == "hook")
        let alert = try #require((doc["alerts"] as? [[String: Any]])?.first)
        #expect(alert["fingerprint"] as? String == e.episode.id)
        #expect((alert["labels"] as? [String: String]) == ["alertname": "db-down", "node": Self.db, "kind": "endpoint", "state": "DOWN",
                                                           "severity": "critical"])
        #expect(alert["startsAt"] as? String == "2023-11-14T22:13:20.000Z" && alert["endsAt"] as? String == "0001-01-01T00:00:00Z")
        let line = SyslogMessage.make(event: e, facility: 16, hostname: "vigie host", at: 1_700_000_000)
        #expect(line.hasPrefix("<130>1 2023-11-14T22:13:20.000Z vigiehost vigie-server - FIRING [vigie@32473 rule=\"db-down\" node=\"\(Self.db)\""))
        #expect(SyslogMessage.escape("a\"b]c\\") == "a\\\"b\\]c\\\\")
        #expect(SyslogMessage.octetCounted("abc") == Array("3 abc".utf8))
    }
}
