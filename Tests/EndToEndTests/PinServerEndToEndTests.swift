import Foundation
import Testing
import VigieTestSupport

/// The server's side of incident pins (docs/pins.md): an agent replays a generated outage, pins
/// the failing service's incidents and exports its records (with its `pin` records) to a server.
/// The server lists the same pins the agent holds, and each pin's drill-down link answers the
/// packets the agent's own query gives for that service and range.
@Suite("Pins end to end: agent pins listed by the server, linked to drill-down", .serialized,
       .enabled(if: ["curl", "tcpdump"].allSatisfy(HTTPFixture.hasTool), "needs curl and tcpdump"))
struct PinServerEndToEndTests {
    struct ServerPin: Decodable { var agent: String; var id: String; var from: String; var to: String; var service: String?; var drilldown: String? }

    @Test("the server's pins are the agent's; a pin's drill-down equals the agent's query over its range")
    func serverListsAndLinksPins() throws {
        let dir = Support.temporaryDirectory("pin-server")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let capture = dir + "/outage.pcap", store = dir + "/store"
        let gen = URL(fileURLWithPath: Processes.agentBinary).deletingLastPathComponent().appendingPathComponent("vigie-gen").path
        let g = try Support.run([gen, "--output", capture, "--packets", "30000", "--rate-pps", "50", "--servers", "3", "--clients", "20",
                                 "--seed", "5", "--start", "2026-01-01T10:00:00Z", "--nanosecond", "--outage", "300-30000", "--outage-server", "0"])
        try #require(g.status == 0, "vigie-gen: \(g.stderr)")

        let serverPort = TestPorts.unused(), agentPort = TestPorts.unused()
        let server = try ChildProcesses.start([HTTPFixture.serverBinary, "serve", "--listen", "127.0.0.1:\(serverPort)", "--data", dir + "/server",
                                               "--token", "edge-a=token-edge-a-0123456789", "--drilldown-allow", "127.0.0.0/8",
                                               "--drilldown-agent", "edge-a=http://127.0.0.1:\(agentPort)", "--log-level", "warning"],
                                              log: dir + "/server.log")
        defer { ChildProcesses.stop(server) }
        let base = "http://127.0.0.1:\(serverPort)"
        #expect(ChildProcesses.waitFor(15) { (try? Processes.get(base + "/metrics"))?.status == 200 }, "server up")
        try "pins: {before: 30s, after: 60s, states: [DOWN, DEGRADED]}\n".write(toFile: dir + "/agent.yaml", atomically: true, encoding: .utf8)
        let ingest = try Support.run([Processes.agentBinary, "ingest", "--store", store, "--config", dir + "/agent.yaml", "--agent-id", "edge-a",
                                      "--http-export", base + "/api/v1/ingest", "--http-token", "token-edge-a-0123456789",
                                      "--no-progress", "--log-level", "error", capture])
        try #require(ingest.status == 0, "ingest: \(ingest.stderr)")
        // Pins decided as the replay ended have their `created` records written at the next start
        // (docs/pins.md): a second, later replay records them.
        let g2 = try Support.run([gen, "--output", dir + "/later.pcap", "--packets", "500", "--rate-pps", "50", "--servers", "3", "--clients", "20",
                                  "--seed", "6", "--start", "2026-01-01T11:00:00Z", "--nanosecond"])
        try #require(g2.status == 0, "vigie-gen: \(g2.stderr)")
        let again = try Support.run([Processes.agentBinary, "ingest", "--store", store, "--config", dir + "/agent.yaml", "--agent-id", "edge-a",
                                     "--http-export", base + "/api/v1/ingest", "--http-token", "token-edge-a-0123456789",
                                     "--no-progress", "--log-level", "error", dir + "/later.pcap"])
        try #require(again.status == 0, "ingest: \(again.stderr)")

        // The agent's pins (its file) and the server's, from the records.
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: store + "/pins/pins.json"))) as? [String: Any])
        let agentPins = ((file["pins"] as? [[String: Any]]) ?? []).filter { $0["released"] as? Bool != true }.compactMap { $0["id"] as? String }
        try #require(!agentPins.isEmpty, "the outage was pinned")
        var serverPins: [ServerPin] = []
        #expect(ChildProcesses.waitFor(15) {
            serverPins = (try? JSONDecoder().decode([ServerPin].self, from: Data(Processes.get(base + "/api/v1/pins").body.utf8))) ?? []
            return Set(serverPins.map(\.id)) == Set(agentPins)
        }, "server pins \(serverPins.map(\.id)) = agent pins \(agentPins)")
        #expect(serverPins.allSatisfy { $0.agent == "edge-a" })

        // A pin's drill-down link: the packets of its service over its range, as the agent's query gives them.
        let api = try ChildProcesses.start([Processes.agentBinary, "serve", "--store", store, "--listen", "127.0.0.1:\(agentPort)", "--log-level", "error"],
                                           log: dir + "/serve.log")
        defer { ChildProcesses.stop(api) }
        #expect(ChildProcesses.waitFor(15) { (try? Processes.get("http://127.0.0.1:\(agentPort)/healthz"))?.status == 200 }, "agent API up")
        let pin = try #require(serverPins.first { $0.service != nil && $0.drilldown != nil })
        let link = try #require(pin.drilldown)
        let fetched = try Processes.get(base + link, to: dir + "/drill.pcap")
        #expect(fetched.status == 200, "\(link): \((try? String(contentsOfFile: dir + "/drill.pcap", encoding: .utf8)) ?? "")")
        let service = try #require(pin.service)
        let colon = try #require(service.lastIndex(of: ":")), slash = try #require(service.lastIndex(of: "/"))
        let host = String(service[..<colon]), port = String(service[service.index(after: colon)..<slash])
        let transport = String(service[service.index(after: slash)...])
        let own = try Support.run([Processes.agentBinary, "query", "--store", store, "--from", pin.from, "--to", pin.to, "-w", dir + "/own.pcap",
                                   "host \(host) and port \(port) and \(transport)"])
        #expect(own.status == 0, "\(own.stderr)")
        let drilled = try Support.run(["tcpdump", "-nr", dir + "/drill.pcap"]).stdout.split(separator: "\n")
        let queried = try Support.run(["tcpdump", "-nr", dir + "/own.pcap"]).stdout.split(separator: "\n")
        #expect(!queried.isEmpty && drilled == queried, "drill-down \(drilled.count) packets, the agent's query \(queried.count)")
    }
}
