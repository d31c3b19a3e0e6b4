import Foundation
import Testing
import VigieTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Two `vigie-server` processes on one PostgreSQL database, members of one Kafka consumer group
/// over a 4-partition topic of the test broker, against a reference server (SQLite, its own group)
/// reading the same topic.
@Suite("Server instances sharing PostgreSQL and a consumer group",
       .enabled(if: PostgresServer.unavailableReason == nil && KafkaMockProcess.binary != nil && HTTPFixture.hasTool("kcat"),
                "needs PostgreSQL server binaries, vigie-kafka-mock and kcat"))
struct SharedInstancesTests {
    static let topic = "vigie.service_state"
    static let services = ["10.0.0.5:443/tcp", "10.0.0.6:443/tcp", "10.0.0.7:5432/tcp", "[2001:db8::1]:53/udp"]
    static let agents = ["edge-paris-01", "edge-lyon-01", "edge-nice-01"]
    static let states = ["UP", "DEGRADED", "REFUSED", "UNREACHABLE", "IDLE"]

    /// Records of rounds `rounds`, service i on partition i: every agent reports every service each
    /// round, a deterministic scramble of states, then `final[i]` in the last round.
    static func produce(_ rounds: ClosedRange<Int>, final: [String], bootstrap: String) throws {
        for (i, service) in services.enumerated() {
            var lines: [String] = []
            for round in rounds {
                for (a, agent) in agents.enumerated() {
                    let state = round == rounds.upperBound ? final[i] : states[(round * 7 + a * 3 + i * 5) % states.count]
                    // seq: per agent, increasing over rounds and services (as the agent numbers records).
                    let seq = Int64(round * services.count + i + 1)
                    lines.append(Lines.serviceState(agent: agent, seq: seq, service: service, state: state))
                }
            }
            let file = NSTemporaryDirectory() + "vigie-shared-\(UUID().uuidString).ndjson"
            try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let r = try HTTPFixture.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", "\(i)", "-k", service, "-l", file])
            #expect(r.status == 0)
        }
    }

    /// (id, state, root causes) of every node, from `GET /api/v1/weather?kinds=all`-like output.
    static func weather(_ f: HTTPFixture) -> [String] {
        guard let r = try? f.get("/api/v1/weather?all=true"), r.status == 200,
              let o = try? JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any],
              let nodes = o["nodes"] as? [[String: Any]] else { return [] }
        return nodes.map { "\($0["id"] ?? "")=\($0["state"] ?? "") \(($0["root_causes"] as? [String]) ?? [])" }.sorted()
    }

    static func metric(_ f: HTTPFixture, _ name: String) -> Int? {
        guard let r = try? f.get("/metrics"), r.status == 200 else { return nil }
        for line in r.body.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ")[1]).map { Int($0) }
        }
        return nil
    }

    @Test("every record applied once across the instances; same weather as one instance; a killed instance's partitions move")
    func consumerGroup() throws {
        let pg = try PostgresServer()
        defer { pg.destroy() }
        try pg.createDatabase("shared")
        let mock = try KafkaMockProcess(topics: ["\(Self.topic):4"])
        defer { mock.stop() }
        let kafka = ["--kafka", mock.bootstrap, "--kafka-topics", Self.topic,
                     "--kafka-property", "session.timeout.ms=6000", "--kafka-property", "heartbeat.interval.ms=500"]
        let reference = try HTTPFixture(arguments: kafka + ["--kafka-group", "reference"])
        let a = try HTTPFixture(arguments: kafka + ["--kafka-group", "shared", "--database", pg.url("shared")])
        let b = try HTTPFixture(arguments: kafka + ["--kafka-group", "shared", "--database", pg.url("shared")])
        let perRound = Self.services.count * Self.agents.count

        // Phase 1: both instances consume their share.
        try Self.produce(1...10, final: ["UP", "UP", "UP", "UP"], bootstrap: mock.bootstrap)
        let total1 = 10 * perRound
        #expect(ChildProcesses.waitFor(60) { Self.metric(reference, "vigie_server_records_ingested_total") == total1 })
        #expect(ChildProcesses.waitFor(30) {
            (Self.metric(a, "vigie_server_records_ingested_total") ?? 0) + (Self.metric(b, "vigie_server_records_ingested_total") ?? 0) == total1
        })
        let aCount = Self.metric(a, "vigie_server_records_ingested_total") ?? 0
        let bCount = Self.metric(b, "vigie_server_records_ingested_total") ?? 0
        #expect(aCount > 0 && bCount > 0, "the group split the partitions: a=\(aCount) b=\(bCount)")
        let expected1 = Self.weather(reference)
        #expect(expected1.contains { $0.hasPrefix("shop=OK") })
        #expect(ChildProcesses.waitFor(10) { Self.weather(a) == expected1 && Self.weather(b) == expected1 })
        #expect(Self.weather(a) == expected1)
        #expect(Self.weather(b) == expected1)

        // Phase 2: A dies without a goodbye; its partitions move to B after the session timeout.
        kill(a.server.processIdentifier, SIGKILL)
        a.server.waitUntilExit()
        try Self.produce(11...23, final: ["UP", "REFUSED", "DEGRADED", "UP"], bootstrap: mock.bootstrap)
        let total2 = 23 * perRound
        #expect(ChildProcesses.waitFor(60) { Self.metric(reference, "vigie_server_records_ingested_total") == total2 })
        let expected2 = Self.weather(reference)
        #expect(expected2.contains { $0.hasPrefix("shop=DEGRADED") }, "web keeps one front end; db is degraded")
        #expect(ChildProcesses.waitFor(60) { Self.metric(b, "vigie_server_records_ingested_total") == total2 - aCount })
        #expect(Self.metric(b, "vigie_server_records_ingested_total") == total2 - aCount,
                "each record applied once: B applied everything A had not")
        #expect(ChildProcesses.waitFor(10) { Self.weather(b) == expected2 })
        #expect(Self.weather(b) == expected2)

        // A restarted instance on the same database starts from the shared state.
        let c = try HTTPFixture(arguments: ["--database", pg.url("shared")])
        #expect(ChildProcesses.waitFor(10) { Self.weather(c) == expected2 })
        #expect(Self.weather(c) == expected2)
    }
}
