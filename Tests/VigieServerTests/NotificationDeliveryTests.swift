import Foundation
import Testing
import VigieTestSupport

/// `vigie-server serve --notifications`: a real server, a Python webhook receiver that is down,
/// then slow, then up, and a syslog UDP receiver.
@Suite("Notifications end to end", .serialized,
       .enabled(if: ["curl", "gzip", "python3"].allSatisfy(HTTPFixture.hasTool), "needs curl, gzip and python3"))
struct NotificationDeliveryTests {
    static let db = "10.0.0.7:5432/tcp"

    /// Writes `DIR/hook.token` and `DIR/notifications.yaml` for receivers on these ports.
    func writeFiles(_ dir: String, hookPort: Int = TestPorts.unused(), syslogPort: Int = TestPorts.unused(), token: String = "s3cret") throws {
        try (token + "\n").write(toFile: dir + "/hook.token", atomically: true, encoding: .utf8)
        try notificationsYAML(hookPort: hookPort, syslogPort: syslogPort, tokenFile: dir + "/hook.token")
            .write(toFile: dir + "/notifications.yaml", atomically: true, encoding: .utf8)
    }

    func notificationsYAML(hookPort: Int, syslogPort: Int, tokenFile: String) -> String {
        """
        evaluate_every_s: 0.2
        retry_initial_s: 0.3
        retry_max_s: 1
        receivers:
          hook: {webhook: {url: "http://127.0.0.1:\(hookPort)/hook", bearer_token_file: "\(tokenFile)", timeout_s: 1}}
          log: {syslog: {address: "127.0.0.1:\(syslogPort)", protocol: udp, facility: local3}}
        rules:
          - {name: db-endpoint-down, node: "\(Self.db)", state: DOWN, for_s: 0.5, receivers: [hook, log]}
          - {name: services-degraded, kind: service, state: DEGRADED, receivers: [hook]}
        """
    }

    func metric(_ f: HTTPFixture, _ name: String) -> Double {
        guard let text = try? f.get("/metrics").body else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "") ?? -1
        }
        return 0
    }

    func jsonLines(_ path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func state(_ seq: Int64, _ state: String) -> [String] { [Lines.serviceState(seq: seq, service: Self.db, state: state)] }

    @Test("down, slow, then up: every firing and resolved arrives, per rule and episode, duplicates only with the same fingerprint")
    func downSlowUp() throws {
        let dir = Support.temporaryDirectory("notify-e2e")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hookPort = TestPorts.unused(), syslogPort = TestPorts.unused()
        try writeFiles(dir, hookPort: hookPort, syslogPort: syslogPort)
        let hookOut = dir + "/hook.out", syslogOut = dir + "/syslog.out", control = dir + "/control"
        let syslog = try ChildProcesses.start(["/usr/bin/env", "python3", Support.script("notify_receiver.py"), "syslog-udp", "\(syslogPort)", syslogOut],
                                              log: dir + "/syslog.log")
        defer { ChildProcesses.stop(syslog, killAfter: 5) }
        let f = try HTTPFixture(dir: dir, arguments: ["--notifications", dir + "/notifications.yaml"])
        try #require(f.server.isRunning, "the server did not start")

        // 1. The webhook receiver is down: the firing waits in the outbox, retried.
        #expect(try f.post(state(1, "UNREACHABLE")).status == 200)
        #expect(ChildProcesses.waitFor(15) { metric(f, "vigie_server_notification_attempts_failed_total") >= 2 })
        // The endpoint rule fires after its 0.5 s: 3 entries (hook × 2 rules, syslog × 1).
        #expect(ChildProcesses.waitFor(10) { metric(f, "vigie_server_notifications_queued_total") == 3 })

        // 2. Up but slow (answers after the 1 s timeout): the server retries, with the same fingerprint.
        try "slow".write(toFile: control, atomically: true, encoding: .utf8)
        let hook = try ChildProcesses.start(["/usr/bin/env", "python3", Support.script("notify_receiver.py"), "webhook", "\(hookPort)", hookOut,
                                             control, "s3cret"], log: dir + "/hook.log")
        defer { ChildProcesses.stop(hook, killAfter: 5) }
        // Meanwhile ingest answers at once (delivery has threads of its own).
        let started = Date()
        #expect(try f.post([Lines.serviceState(seq: 10, service: "10.0.0.5:443/tcp", state: "UP")]).status == 200)
        #expect(Date().timeIntervalSince(started) < 2)
        #expect(ChildProcesses.waitFor(20) { !jsonLines(hookOut).isEmpty })

        // 3. Up: the rest goes through; then the node recovers, fails again, recovers again.
        try "ok".write(toFile: control, atomically: true, encoding: .utf8)
        #expect(try f.post(state(2, "UP")).status == 200)
        #expect(ChildProcesses.waitFor(15) { metric(f, "vigie_server_notifications_queued_total") == 6 })
        #expect(try f.post(state(3, "UNREACHABLE")).status == 200)
        #expect(ChildProcesses.waitFor(15) { metric(f, "vigie_server_notifications_queued_total") == 9 })
        #expect(try f.post(state(4, "UP")).status == 200)
        #expect(ChildProcesses.waitFor(30) {
            metric(f, "vigie_server_notifications_queued_total") == 12 && metric(f, "vigie_server_notifications_delivered_total") == 12
                && metric(f, "vigie_server_notification_outbox") == 0
        }, "queued \(metric(f, "vigie_server_notifications_queued_total")), delivered \(metric(f, "vigie_server_notifications_delivered_total"))")

        let received = jsonLines(hookOut)
        let log = (try? String(contentsOfFile: hookOut, encoding: .utf8)) ?? ""
        for rule in ["db-endpoint-down", "services-degraded"] {
            let mine = received.filter { $0["alertname"] as? String == rule }
            var byFingerprint: [String: [String]] = [:]
            for a in mine { byFingerprint[a["fingerprint"] as? String ?? "", default: []].append(a["status"] as? String ?? "") }
            // Two episodes, each told firing then resolved; a repeat only ever as a copy of the same fingerprint.
            #expect(byFingerprint.count == 2, "\(rule): \(log)")
            for (fp, statuses) in byFingerprint {
                #expect(Set(statuses) == ["firing", "resolved"], "\(rule) \(fp): \(statuses)")
                #expect(statuses.first == "firing", "\(rule) \(fp): resolved before firing: \(statuses)")
            }
        }
        #expect(received.allSatisfy { $0["version"] as? String == "4" && $0["receiver"] as? String == "hook" })
        // The slow phase made copies (the receiver kept what came too late): more lines than the 8 notifications.
        #expect(received.count > 8, "\(log)")
        #expect(metric(f, "vigie_server_notification_attempts_failed_total") >= 3)

        // Syslog: RFC 5424, the endpoint rule's two episodes, firing then resolved, same fingerprints as the webhook's.
        #expect(ChildProcesses.waitFor(5) { jsonLines(syslogOut).count >= 4 })
        let messages = jsonLines(syslogOut)
        #expect(messages.count == 4, "\(messages)")
        #expect(messages.allSatisfy { $0["version"] as? Int == 1 && $0["app"] as? String == "vigie-server" && $0["sd_id"] as? String == "vigie@32473" })
        #expect(messages.map { $0["msgid"] as? String ?? "" } == ["FIRING", "RESOLVED", "FIRING", "RESOLVED"])
        #expect(messages.map { $0["pri"] as? Int ?? 0 } == [154, 157, 154, 157])
        let syslogFingerprints = Set(messages.compactMap { ($0["params"] as? [String: String])?["fingerprint"] })
        let hookFingerprints = Set(received.filter { $0["alertname"] as? String == "db-endpoint-down" }.compactMap { $0["fingerprint"] as? String })
        #expect(syslogFingerprints == hookFingerprints)
        #expect(messages.allSatisfy { ($0["params"] as? [String: String])?["node"] == Self.db })
    }

    @Test("restart: a firing still in the outbox is delivered once after a restart, and its episode resolves")
    func restart() throws {
        let dir = Support.temporaryDirectory("notify-restart-e2e")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hookPort = TestPorts.unused()
        try writeFiles(dir, hookPort: hookPort)
        let hookOut = dir + "/hook.out", control = dir + "/control"
        do {
            let f = try HTTPFixture(dir: dir, arguments: ["--notifications", dir + "/notifications.yaml"])
            try #require(f.server.isRunning, "the server did not start")
            #expect(try f.post(state(1, "UNREACHABLE")).status == 200)
            #expect(ChildProcesses.waitFor(15) { metric(f, "vigie_server_notifications_queued_total") == 3 })
            f.server.terminate()
            f.server.waitUntilExit()
        }
        try "ok".write(toFile: control, atomically: true, encoding: .utf8)
        let hook = try ChildProcesses.start(["/usr/bin/env", "python3", Support.script("notify_receiver.py"), "webhook", "\(hookPort)", hookOut,
                                             control, "s3cret"], log: dir + "/hook.log")
        defer { ChildProcesses.stop(hook, killAfter: 5) }
        let f = try HTTPFixture(dir: dir, arguments: ["--notifications", dir + "/notifications.yaml"])
        try #require(f.server.isRunning, "the server did not restart")
        // The stored firing goes out (nothing new is queued: the episode is still firing).
        #expect(ChildProcesses.waitFor(15) { jsonLines(hookOut).count == 2 })
        Thread.sleep(forTimeInterval: 1)
        #expect(metric(f, "vigie_server_notifications_queued_total") == 0)
        #expect(try f.post(state(2, "UP")).status == 200)
        #expect(ChildProcesses.waitFor(15) { jsonLines(hookOut).count == 4 })
        let lines = jsonLines(hookOut)
        #expect(lines.map { $0["status"] as? String ?? "" }.sorted() == ["firing", "firing", "resolved", "resolved"], "\(lines)")
        #expect(Set(lines.compactMap { $0["fingerprint"] as? String }).count == 2)
    }

    @Test("syslog over TCP: RFC 5424 messages framed by octet counting, one per notification, retried while the receiver is down")
    func syslogTCP() throws {
        let dir = Support.temporaryDirectory("notify-syslog-tcp")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = TestPorts.unused()
        try """
            evaluate_every_s: 0.2
            retry_initial_s: 0.2
            retry_max_s: 0.5
            receivers:
              log: {syslog: {address: "127.0.0.1:\(port)", protocol: tcp, facility: 4}}
            rules:
              - {name: db-endpoint-down, node: "\(Self.db)", state: DOWN, severity: warning, receivers: [log]}
            """.write(toFile: dir + "/n.yaml", atomically: true, encoding: .utf8)
        let f = try HTTPFixture(dir: dir, arguments: ["--notifications", dir + "/n.yaml"])
        try #require(f.server.isRunning, "the server did not start")
        #expect(try f.post(state(1, "UNREACHABLE")).status == 200)
        #expect(ChildProcesses.waitFor(15) { metric(f, "vigie_server_notification_attempts_failed_total") >= 1 })
        let out = dir + "/syslog.out"
        let receiver = try ChildProcesses.start(["/usr/bin/env", "python3", Support.script("notify_receiver.py"), "syslog-tcp", "\(port)", out],
                                                log: dir + "/syslog.log")
        defer { ChildProcesses.stop(receiver, killAfter: 5) }
        #expect(ChildProcesses.waitFor(15) { jsonLines(out).count >= 1 })
        #expect(try f.post(state(2, "UP")).status == 200)
        #expect(ChildProcesses.waitFor(15) { jsonLines(out).count >= 2 })
        let messages = jsonLines(out)
        #expect(messages.count == 2, "\(messages)")
        // auth (4) × 8 + warning (4); resolved: notice (5).
        #expect(messages.map { $0["pri"] as? Int ?? 0 } == [36, 37], "\(messages)")
        #expect(messages.map { $0["msgid"] as? String ?? "" } == ["FIRING", "RESOLVED"])
        #expect(Set(messages.compactMap { ($0["params"] as? [String: String])?["fingerprint"] }).count == 1)
    }

    @Test("with PostgreSQL: the same firing and resolved, from the outbox in the shared database",
          .enabled(if: PostgresServer.unavailableReason == nil, "needs PostgreSQL server binaries"))
    func postgres() throws {
        let pg = try PostgresServer()
        defer { pg.destroy() }
        try pg.createDatabase("notify")
        let dir = Support.temporaryDirectory("notify-pg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hookPort = TestPorts.unused()
        try writeFiles(dir, hookPort: hookPort)
        let hookOut = dir + "/hook.out", control = dir + "/control"
        try "ok".write(toFile: control, atomically: true, encoding: .utf8)
        let hook = try ChildProcesses.start(["/usr/bin/env", "python3", Support.script("notify_receiver.py"), "webhook", "\(hookPort)", hookOut,
                                             control, "s3cret"], log: dir + "/hook.log")
        defer { ChildProcesses.stop(hook, killAfter: 5) }
        let f = try HTTPFixture(dir: dir, arguments: ["--database", pg.url("notify"), "--notifications", dir + "/notifications.yaml"])
        try #require(f.server.isRunning, "the server did not start")
        #expect(try f.post(state(1, "UNREACHABLE")).status == 200)
        #expect(ChildProcesses.waitFor(15) { jsonLines(hookOut).count >= 2 })
        #expect(try f.post(state(2, "UP")).status == 200)
        #expect(ChildProcesses.waitFor(15) { jsonLines(hookOut).count >= 4 })
        let lines = jsonLines(hookOut)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.map { $0["status"] as? String ?? "" }.sorted() == ["firing", "firing", "resolved", "resolved"])
        #expect(Set(lines.compactMap { $0["alertname"] as? String }) == ["db-endpoint-down", "services-degraded"])
    }

    @Test("rules API: list, create, conflict, file rules read-only, delete; bad rules name the key")
    func rulesAPI() throws {
        let dir = Support.temporaryDirectory("notify-api")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeFiles(dir, token: "t")
        let f = try HTTPFixture(dir: dir, arguments: ["--notifications", dir + "/notifications.yaml", "--operator-token", "op"])
        try #require(f.server.isRunning, "the server did not start")
        func call(_ method: String, _ path: String, _ body: String? = nil, token: String? = "op") throws -> (Int, String) {
            var argv = ["curl", "-s", "-X", method, "-w", "\n%{http_code}"]
            if let token { argv += ["-H", "Authorization: Bearer \(token)"] }
            if let body { argv += ["-H", "Content-Type: application/json", "--data-binary", body] }
            let r = try HTTPFixture.run(argv + [f.url(path)])
            let cut = r.stdout.lastIndex(of: "\n") ?? r.stdout.startIndex
            return (Int(r.stdout[r.stdout.index(after: cut)...]) ?? 0, String(r.stdout[..<cut]))
        }
        let rule = #"{"name": "web-down", "kind": "service", "state": "DOWN", "for_s": 60, "receivers": ["hook"]}"#
        #expect(try call("POST", "/api/v1/notifications/rules", rule, token: nil).0 == 401)
        #expect(try call("POST", "/api/v1/notifications/rules", rule).0 == 201)
        #expect(try call("POST", "/api/v1/notifications/rules", rule).0 == 409)
        let list = try call("GET", "/api/v1/notifications/rules")
        #expect(list.0 == 200 && list.1.contains("\"web-down\"") && list.1.contains("\"read_only\":true"))
        let readOnly = try call("DELETE", "/api/v1/notifications/rules/db-endpoint-down")
        #expect(readOnly.0 == 403 && readOnly.1.contains("read-only"), "\(readOnly)")
        let shadow = try call("POST", "/api/v1/notifications/rules", #"{"name": "db-endpoint-down", "node": "db", "receivers": ["hook"]}"#)
        #expect(shadow.0 == 403, "\(shadow)")
        let bad = try call("POST", "/api/v1/notifications/rules", #"{"name": "x", "node": "db", "receivers": ["pager"]}"#)
        #expect(bad.0 == 400 && bad.1.contains("(body).receivers"), "\(bad)")
        #expect(try call("DELETE", "/api/v1/notifications/rules/web-down").0 == 204)
        #expect(try call("DELETE", "/api/v1/notifications/rules/web-down").0 == 404)
    }

    @Test("a receiver outside the allow-list, or a bad key, stops the server at start")
    func refusedAtStart() throws {
        let dir = Support.temporaryDirectory("notify-refused")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "receivers: {h: {webhook: {url: 'http://192.0.2.10/hook'}}}\n".write(toFile: dir + "/n.yaml", atomically: true, encoding: .utf8)
        let outside = try HTTPFixture.runServer(["serve", "--data", dir + "/data", "--listen", "127.0.0.1:\(TestPorts.unused())",
                                                 "--notifications", dir + "/n.yaml"])
        #expect(outside.status != 0 && outside.stderr.contains("receivers.h.webhook.url") && outside.stderr.contains("allow-list"), "\(outside.stderr)")
        let allowed = try HTTPFixture.runServer(["serve", "--data", dir + "/data", "--listen", "127.0.0.1:\(TestPorts.unused())",
                                                 "--notifications", dir + "/n.yaml", "--notify-allow", "not-a-cidr"])
        #expect(allowed.status != 0 && allowed.stderr.contains("--notify-allow"), "\(allowed.stderr)")
        try "rules:\n  - {name: a, node: x, state: DOWN, for: 30, receivers: [h]}\n".write(toFile: dir + "/n.yaml", atomically: true, encoding: .utf8)
        let badKey = try HTTPFixture.runServer(["serve", "--data", dir + "/data", "--listen", "127.0.0.1:\(TestPorts.unused())",
                                                "--notifications", dir + "/n.yaml"])
        #expect(badKey.status != 0 && badKey.stderr.contains("rules[0].for"), "\(badKey.stderr)")
    }
}
