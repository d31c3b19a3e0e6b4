import Foundation
import Testing
import VigieTestSupport

/// Issue 6's acceptance check, on one machine: two agents replay different captures, agent A
/// exporting over HTTP (bearer token), agent B over Kafka (librdkafka's mock cluster, the server
/// consuming); one server with an inventory of two applications built on both services. Service S1
/// starts refusing connections: the application reduced with `worst` goes DOWN, the one reduced
/// with `score` DEGRADED, both with S1 as root cause; the drill-down pcaps equal the agents' own
/// queries, merged in time order, packet for packet.
@Suite("Two agents end to end: HTTP + Kafka → server → weather → drill-down", .serialized,
       .enabled(if: ["curl", "kcat", "tcpdump", "mergecap"].allSatisfy(HTTPFixture.hasTool) && KafkaMockProcess.binary != nil,
                "needs curl, kcat, tcpdump, mergecap (tshark's package) and vigie-kafka-mock"))
struct TwoAgentEndToEndTests {
    typealias C = TwoAgentCaptures

    static let inventory = """
    nodes:
      - {id: "\(C.refusing.id)", kind: endpoint}
      - {id: "\(C.healthy.id)", kind: endpoint}
      - {id: web, kind: service}
      - {id: db, kind: service}
      - {id: shop-strict, kind: application, reduce: worst}
      - {id: shop-tolerant, kind: application, reduce: score}
    edges:
      - {child: "\(C.refusing.id)", parent: web}
      - {child: "\(C.healthy.id)", parent: db}
      - {child: web, parent: shop-strict}
      - {child: db, parent: shop-strict}
      - {child: web, parent: shop-tolerant}
      - {child: db, parent: shop-tolerant}
    """

    @Test("S1 refusing: worst app DOWN, score app DEGRADED, root cause S1; drill-down = the agents' queries merged")
    func refusingServiceAndDrillDown() throws {
        let began = Date()
        let dir = Support.temporaryDirectory("two-agents")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try C.pcap(C.agentA()).write(to: URL(fileURLWithPath: dir + "/a.pcap"))
        try C.pcap(C.agentB()).write(to: URL(fileURLWithPath: dir + "/b.pcap"))
        try Self.inventory.write(toFile: dir + "/inventory.yaml", atomically: true, encoding: .utf8)
        let mock = try KafkaMockProcess(topics: ["conn", "txn", "edge", "service_state", "service_seen", "agent_health", "pin"].map { "vigie.\($0):2" })
        defer { mock.stop() }

        let serverPort = TestPorts.unused(), portA = TestPorts.unused(), portB = TestPorts.unused()
        let server = try ChildProcesses.start([HTTPFixture.serverBinary, "serve", "--listen", "127.0.0.1:\(serverPort)", "--data", dir + "/server",
                                          "--inventory", dir + "/inventory.yaml", "--token", "edge-a=token-a", "--kafka", mock.bootstrap,
                                          "--log-level", "warning",
                                          // Drill-down: agents on loopback; edge-b reports through Kafka (no token): declared.
                                          "--drilldown-allow", "127.0.0.0/8", "--drilldown-agent", "edge-b"], log: dir + "/server.log")
        defer { ChildProcesses.stop(server) }
        let base = "http://127.0.0.1:\(serverPort)"
        #expect(ChildProcesses.waitFor(15) { (try? Processes.get(base + "/metrics"))?.status == 200 }, "server up")

        // Agent A over HTTP, agent B over Kafka; both announce their query API.
        try "query_api_url: http://127.0.0.1:\(portA)\n".write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        try "query_api_url: http://127.0.0.1:\(portB)\n".write(toFile: dir + "/b.yaml", atomically: true, encoding: .utf8)
        let ingestA = try Support.run([Processes.agentBinary, "ingest", "--store", dir + "/a", "--config", dir + "/a.yaml",
                                            "--http-export", base + "/api/v1/ingest", "--http-token", "token-a", "--agent-id", "edge-a",
                                            "--no-progress", "--log-level", "error", dir + "/a.pcap"])
        #expect(ingestA.status == 0, "\(ingestA.stderr)")
        let ingestB = try Support.run([Processes.agentBinary, "ingest", "--store", dir + "/b", "--config", dir + "/b.yaml",
                                            "--kafka", mock.bootstrap, "--agent-id", "edge-b", "--no-progress", "--log-level", "error",
                                            dir + "/b.pcap"])
        #expect(ingestB.status == 0, "\(ingestB.stderr)")
        let apiA = try ChildProcesses.start([Processes.agentBinary, "serve", "--store", dir + "/a", "--listen", "127.0.0.1:\(portA)", "--log-level", "warning"],
                                       log: dir + "/agent-a.log")
        defer { ChildProcesses.stop(apiA) }
        let apiB = try ChildProcesses.start([Processes.agentBinary, "serve", "--store", dir + "/b", "--listen", "127.0.0.1:\(portB)", "--log-level", "warning"],
                                       log: dir + "/agent-b.log")
        defer { ChildProcesses.stop(apiB) }

        // The agents' own verdicts: A saw S1 go from UP to REFUSED; B saw S2 (and S1) only UP.
        let statesA = try Self.serviceStates(dir + "/a", C.refusing.id)
        #expect(statesA.first == "UP" && statesA.last == "REFUSED", "agent A's S1 states: \(statesA)")
        let statesB = try Self.serviceStates(dir + "/b", C.healthy.id)
        #expect(!statesB.isEmpty && statesB.allSatisfy { $0 == "UP" }, "agent B's S2 states: \(statesB)")

        // Each agent used its own channel: only B's records are on Kafka (A's came over HTTP, token-checked).
        let kafkaAgents = Set(try mock.consume(topic: "vigie.service_state").compactMap { line -> String? in
            let value = line.split(separator: "\t", maxSplits: 1).last.map(String.init) ?? ""
            return (try? JSONSerialization.jsonObject(with: Data(value.utf8)) as? [String: Any])?["agent_id"] as? String
        })
        #expect(kafkaAgents == ["edge-b"], "agents on Kafka: \(kafkaAgents)")

        // Weather: worst(web DOWN, db OK) = DOWN; score((0 + 100) / 2 = 50) = DEGRADED (≥ 40, < 70).
        var weather: [String: [String: Any]] = [:]
        let settled = ChildProcesses.waitFor(30) {
            weather = (try? Self.weather(base)) ?? [:]
            return weather["shop-strict"]?["state"] as? String == "DOWN" && weather["shop-tolerant"]?["state"] as? String == "DEGRADED"
                && weather["db"]?["state"] as? String == "OK"
        }
        let log = { (try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? "" }
        #expect(settled, "weather: \(weather); server log: \(log())")
        #expect(weather["shop-strict"]?["state"] as? String == "DOWN")
        #expect(weather["shop-tolerant"]?["state"] as? String == "DEGRADED")
        #expect(weather["shop-tolerant"]?["score"] as? Double == 50)
        #expect(weather["web"]?["state"] as? String == "DOWN")
        #expect(weather["db"]?["state"] as? String == "OK")
        // The cause path of the strict application: shop-strict → web → S1 → agent A.
        #expect(weather["shop-strict"]?["causes"] as? [String] == ["web"])
        #expect(weather["web"]?["causes"] as? [String] == [C.refusing.id])
        for app in ["shop-strict", "shop-tolerant"] {
            #expect(weather[app]?["root_causes"] as? [String] == [C.refusing.id], "\(app): \(weather[app] ?? [:])")
            let detail = try Processes.json(try Processes.get(base + "/api/v1/nodes/" + app).body)
            #expect((detail["status"] as? [String: Any])?["root_causes"] as? [String] == [C.refusing.id], "\(app) detail")
        }
        // S1's views: A says REFUSED (the cause), B saw it working; the worst fresh view wins.
        let s1 = try Processes.json(try Processes.get(base + "/api/v1/nodes/" + C.refusing.id).body)
        let views = (s1["views"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) { $0[$1["agent"] as? String ?? ""] = $1["state"] as? String }
        #expect(views["edge-a"] == "REFUSED" && views["edge-b"].map { ["UP", "IDLE"].contains($0) } == true, "views of S1: \(views)")
        #expect((s1["status"] as? [String: Any])?["causes"] as? [String] == ["edge-a"])

        // The applications' incident: the server ordered the agent that saw S1 fail to pin around it
        // (docs/pins.md, "Ordered by the server"), through the drill-down's policy, once its API was up.
        // (B's records, through Kafka, arrived after the applications turned DOWN: it was not asked.)
        var pinsA = ""
        #expect(ChildProcesses.waitFor(45) {
            pinsA = (try? Processes.get("http://127.0.0.1:\(portA)/api/v1/pins").body) ?? ""
            return pinsA.contains("application shop-strict → DOWN (root cause \(C.refusing.id.replacingOccurrences(of: "/", with: "\\/")))")
        }, "agent A's pins: \(pinsA)")

        // The drill-down finds agents by the query API their agent_health announces; B's comes
        // through Kafka on a topic of its own, which the server may read after B's service states.
        #expect(ChildProcesses.waitFor(30) {
            let agents = (try? Processes.get(base + "/api/v1/agents").body) ?? ""
            return agents.contains("127.0.0.1:\(portA)") && agents.contains("127.0.0.1:\(portB)")
        }, "both agents' query APIs announced")

        // Drill-down: S1 (both agents hold packets: merged), S2 (agent B), and S1 from one client (an edge).
        let queryS1 = "host \(C.refusing.address) and port \(C.refusing.port) and tcp"
        let queryS2 = "host \(C.healthy.address) and port \(C.healthy.port) and tcp"
        let cases: [(name: String, parameters: String, direct: [(store: String, query: String)])] = [
            ("S1", "service=\(Self.escape(C.refusing.id))", [(dir + "/a", queryS1), (dir + "/b", queryS1)]),
            ("S2", "service=\(Self.escape(C.healthy.id))", [(dir + "/b", queryS2)]),
            ("S1 from \(C.clientOfBOnRefusing)", "service=\(Self.escape(C.refusing.id))&client=\(C.clientOfBOnRefusing)",
             [(dir + "/a", queryS1 + " and host \(C.clientOfBOnRefusing)"), (dir + "/b", queryS1 + " and host \(C.clientOfBOnRefusing)")]),
        ]
        var counts: [String: Int] = [:]
        for (n, c) in cases.enumerated() {
            let drilled = dir + "/drill-\(n).pcap"
            let answer = try Processes.get(base + "/api/v1/drilldown/packets?" + c.parameters, to: drilled)
            #expect(answer.status == 200, "\(c.name): HTTP \(answer.status)")
            var directFiles: [String] = []
            for (m, d) in c.direct.enumerated() {
                let file = dir + "/direct-\(n)-\(m).pcap"
                let q = try Support.run([Processes.agentBinary, "query", "--store", d.store, "-w", file, d.query])
                #expect(q.status == 0, "\(c.name): \(q.stderr)")
                directFiles.append(file)
            }
            let expected = dir + "/expected-\(n).pcap"
            let merge = try Support.run(["mergecap", "-F", "nsecpcap", "-w", expected] + directFiles)
            #expect(merge.status == 0, "\(merge.stderr)")
            let got = try Self.packets(drilled), want = try Self.packets(expected)
            #expect(!want.isEmpty, "\(c.name): the agents hold packets")
            #expect(got == want, "\(c.name): drill-down = agents' queries merged (\(got.count) vs \(want.count) packets)")
            counts[c.name] = got.count
            if c.name == "S1" {
                // Both agents contributed: the merge was exercised.
                let perAgent = try directFiles.map { try Self.packets($0).count }
                #expect(perAgent.allSatisfy { $0 > 0 }, "S1: packets per agent \(perAgent)")
            }
        }
        // S1: A's 30 answered connections (8 packets) + 42 refused (2); B's 10 connections (8).
        #expect(counts["S1"] == 30 * 8 + 42 * 2 + 10 * 8)
        #expect(counts["S2"] == C.end * 8)
        #expect(counts["S1 from \(C.clientOfBOnRefusing)"] == 10 * 8)
        print("two-agent e2e: \(counts) packets; \(String(format: "%.1f", Date().timeIntervalSince(began))) s")
    }

    /// The states the agent's `service_state` records give `service`, in order.
    static func serviceStates(_ store: String, _ service: String) throws -> [String] {
        var lines: [String] = []
        let dir = store + "/records"
        for name in try Support.recordFileNames(dir) {
            lines += String(decoding: try Support.recordFileContents(dir + "/" + name), as: UTF8.self).split(separator: "\n").map(String.init)
        }
        return lines.compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  o["kind"] as? String == "service_state", o["service"] as? String == service else { return nil }
            return o["state"] as? String
        }
    }

    /// Every node of the weather by id.
    static func weather(_ base: String) throws -> [String: [String: Any]] {
        let w = try Processes.json(try Processes.get(base + "/api/v1/weather?all=1").body)
        return (w["nodes"] as? [[String: Any]] ?? []).reduce(into: [:]) { $0[$1["id"] as? String ?? ""] = $1 }
    }

    /// tcpdump's view of each packet: nanosecond time, then every byte in hex (libpcap reads both files).
    static func packets(_ file: String) throws -> [String] {
        let r = try Support.run(["tcpdump", "-r", file, "-nn", "-tt", "--time-stamp-precision=nano", "-xx"])
        var out: [String] = []
        for line in r.stdout.split(separator: "\n") {
            if line.hasPrefix("\t") { out[out.count - 1] += "\n" + line } else { out.append(String(line)) }
        }
        return out
    }

    static func escape(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
}

/// Running the built executables as separate processes.
enum Processes {
    /// The built `vigie-agent` binary (next to `vigie-server`).
    static var agentBinary: String {
        URL(fileURLWithPath: HTTPFixture.serverBinary).deletingLastPathComponent().appendingPathComponent("vigie-agent").path
    }

    /// GET with curl; the body as text, or written to `file`.
    static func get(_ url: String, to file: String? = nil) throws -> (status: Int, body: String) {
        let out = file ?? NSTemporaryDirectory() + "vigie-get-\(UUID().uuidString)"
        defer { if file == nil { try? FileManager.default.removeItem(atPath: out) } }
        let r = try HTTPFixture.run(["curl", "-s", "-o", out, "-w", "%{http_code}", url])
        return (Int(r.stdout) ?? 0, file == nil ? ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "") : "")
    }

    static func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any], "not a JSON object: \(s.prefix(300))")
    }
}
