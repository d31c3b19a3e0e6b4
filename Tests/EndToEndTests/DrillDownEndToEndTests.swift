import Foundation
import Testing
import VigieTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Agent → Kafka (mock cluster) → `vigie-server` (consumer group) → weather; then drill-down from
/// a service to its packets: the server asks the agent's query API (announced in `agent_health`)
/// and answers one pcap, which must hold exactly the packets `vigie-agent query` selects.
@Suite("Server end to end: Kafka ingest and drill-down", .serialized,
       .enabled(if: Support.hasCorpus && Support.hasTool("curl") && Support.hasTool("tshark") && KafkaMockProcess.binary != nil,
                "needs the corpus, curl, tshark and vigie-kafka-mock"))
struct DrillDownEndToEndTests {
    static var serverBinary: String { URL(fileURLWithPath: Support.agentBinary).deletingLastPathComponent().appendingPathComponent("vigie-server").path }

    static func get(_ url: String, to file: String? = nil) throws -> (status: Int, body: String) {
        let out = file ?? NSTemporaryDirectory() + "vigie-get-\(UUID().uuidString)"
        defer { if file == nil { try? FileManager.default.removeItem(atPath: out) } }
        let r = try Support.run(["curl", "-s", "-o", out, "-w", "%{http_code}", url])
        let body = file == nil ? ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "") : ""
        return (Int(r.stdout) ?? 0, body)
    }

    @Test("records reach the server through Kafka; drill-down returns the service's packets")
    func kafkaIngestAndDrillDown() throws {
        let mock = try KafkaMockProcess(topics: ["conn", "txn", "edge", "service_state", "service_seen", "agent_health", "pin"].map { "vigie.\($0):2" })
        defer { mock.stop() }
        let dir = Support.temporaryDirectory("drill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = dir + "/store"
        let agentPort = TestPorts.unused(), serverPort = TestPorts.unused()
        try "query_api_url: http://127.0.0.1:\(agentPort)\n".write(toFile: dir + "/agent.yaml", atomically: true, encoding: .utf8)
        let ingest = try Support.run([Support.agentBinary, "ingest", "--store", store, "--config", dir + "/agent.yaml",
                                      "--kafka", mock.bootstrap, "--agent-id", "edge-1", "--no-progress", "--log-level", "error",
                                      Support.corpusPath("zeek_http_methods.pcap")])
        #expect(ingest.status == 0, "\(ingest.stderr)")

        let api = try ChildProcesses.start([Support.agentBinary, "serve", "--store", store, "--listen", "127.0.0.1:\(agentPort)",
                                  "--log-level", "warning"], log: dir + "/agent.log")
        defer { api.terminate(); api.waitUntilExit() }
        // The agent's service_state records name the services it saw; the server must know them.
        let service = try #require(try Support.recordLines(store).compactMap { line -> String? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  o["kind"] as? String == "service_state", o["transport"] as? String == "tcp" else { return nil }
            return o["service"] as? String
        }.first)
        // An inventory: the endpoint the agent saw, behind a business service.
        try """
        nodes:
          - {id: "\(service)", kind: endpoint}
          - {id: shop, kind: service}
        edges:
          - {child: "\(service)", parent: shop}
        """.write(toFile: dir + "/inventory.yaml", atomically: true, encoding: .utf8)
        let server = try ChildProcesses.start([Self.serverBinary, "serve", "--listen", "127.0.0.1:\(serverPort)", "--data", dir + "/server",
                                     "--inventory", dir + "/inventory.yaml", "--kafka", mock.bootstrap, "--log-level", "warning",
                                     "--drilldown-allow", "127.0.0.0/8"],
                                    log: dir + "/server.log")
        defer { server.terminate(); server.waitUntilExit() }
        let known = ChildProcesses.waitFor(30) {
            let weather = (try? Self.get("http://127.0.0.1:\(serverPort)/api/v1/weather?all=1"))?.body ?? ""
            // Known once the endpoint's state came from the agent (no longer UNKNOWN).
            return weather.contains(service) && weather.contains("\"OK\"")
        }
        #expect(known, "the server learnt \(service) from Kafka; log: \((try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? "")")

        let pcap = dir + "/drill.pcap"
        let escaped = service.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics) ?? service
        // The agent's query API comes with its agent_health record, on a topic of its own: it may
        // reach the server after the service's state (409 until then).
        var answer = (status: 0, body: "")
        _ = ChildProcesses.waitFor(30) {
            answer = (try? Self.get("http://127.0.0.1:\(serverPort)/api/v1/drilldown/packets?service=\(escaped)", to: pcap)) ?? answer
            return answer.status != 409
        }
        #expect(answer.status == 200)
        let got = try Support.tsharkFingerprint([pcap])
        // The same selection straight from the store.
        let endpoint = String(service.split(separator: "/")[0])
        let colon = try #require(endpoint.lastIndex(of: ":"))
        let host = String(endpoint[..<colon]), port = String(endpoint[endpoint.index(after: colon)...])
        let direct = dir + "/direct.pcap"
        let q = try Support.run([Support.agentBinary, "query", "--store", store, "-w", direct, "host \(host) and port \(port) and tcp"])
        #expect(q.status == 0, "\(q.stderr)")
        let expected = try Support.tsharkFingerprint([direct])
        #expect(!expected.isEmpty)
        func withoutTime(_ lines: [String]) -> [String] { lines.map { $0.split(separator: "\t").dropFirst().joined(separator: "\t") } }
        #expect(withoutTime(got) == withoutTime(expected),
                "drill-down pcap = the agent's own query (lengths and MD5 of every packet, in order)")

        // A service nobody saw, and a malformed one.
        #expect(try Self.get("http://127.0.0.1:\(serverPort)/api/v1/drilldown/packets?service=192.0.2.99%3A1%2Ftcp").status == 404)
        #expect(try Self.get("http://127.0.0.1:\(serverPort)/api/v1/drilldown/packets?service=nonsense").status == 400)
    }
}
