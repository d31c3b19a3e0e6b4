import Foundation
import Testing
import VigieTestSupport

/// Issue 22's acceptance check for central configuration: three agents capture live traffic in a
/// network namespace (three veth pairs fed by tcpreplay from another namespace) and register with
/// one server over TLS with their own agent tokens (the server listens on the capture namespace's
/// loopback). A prefilter set on their group reaches all three and governs their next segments; a
/// prefilter that does not compile is refused by each, which the server shows; a restarted agent
/// runs the version it applied. Packet counts are compared with tcpdump's on the replayed capture.
@Suite("Fleet end to end: three agents, TLS and tokens, central prefilter", .serialized,
       .enabled(if: Support.isRoot && ["ip", "tcpreplay", "tcpdump", "curl", "openssl"].allSatisfy(Support.hasTool),
                "needs root, iproute2, tcpreplay, tcpdump, curl and openssl (network namespaces)"))
struct FleetEndToEndTests {
    static let port = 18_443
    static let operatorToken = "operator-token-0123456789abcdef"

    /// One sender namespace and one capture namespace joined by three veth pairs; the capture
    /// namespace's loopback carries the server.
    final class Lab {
        let tag = String(UUID().uuidString.prefix(5)).lowercased()
        var sender: String { "vfs-\(tag)" }
        var capture: String { "vfc-\(tag)" }
        func out(_ i: Int) -> String { "vfo\(i)\(tag)" }
        func inside(_ i: Int) -> String { "vfi\(i)\(tag)" }

        init() throws {
            var steps: [[String]] = [["ip", "netns", "add", sender], ["ip", "netns", "add", capture],
                                     ["ip", "netns", "exec", capture, "ip", "link", "set", "lo", "up"]]
            for ns in [sender, capture] { steps.append(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"]) }
            for i in 1...3 {
                steps += [["ip", "link", "add", out(i), "type", "veth", "peer", "name", inside(i)],
                          ["ip", "link", "set", out(i), "netns", sender], ["ip", "link", "set", inside(i), "netns", capture],
                          ["ip", "netns", "exec", sender, "ip", "link", "set", out(i), "up"],
                          ["ip", "netns", "exec", capture, "ip", "link", "set", inside(i), "up"]]
            }
            for s in steps {
                let r = try Support.run(s)
                if r.status != 0 { tearDown(); throw LabError(message: "\(s.joined(separator: " ")): \(r.stderr)") }
            }
        }

        struct LabError: Error, CustomStringConvertible { var message: String; var description: String { message } }

        func tearDown() {
            _ = try? Support.run(["ip", "netns", "del", sender])
            _ = try? Support.run(["ip", "netns", "del", capture])
        }

        deinit { tearDown() }

        /// Replays `file` into all three links.
        func replay(_ file: String) throws {
            for i in 1...3 {
                let r = try Support.run(["ip", "netns", "exec", sender, "tcpreplay", "-i", out(i), "--pps", "2000", file])
                guard r.status == 0 else { throw LabError(message: "tcpreplay: \(r.stderr)") }
            }
        }

        /// curl in the capture namespace against the server, with the operator token.
        func api(_ method: String, _ path: String, body: String? = nil, type: String = "application/json", pki: String) throws -> (Int, String) {
            var argv = ["ip", "netns", "exec", capture, "curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--cacert", pki + "/ca.pem",
                        "-X", method, "-H", "Authorization: Bearer \(FleetEndToEndTests.operatorToken)"]
            if let body { argv += ["-H", "Content-Type: \(type)", "--data-binary", body] }
            let r = try Support.run(argv + ["https://127.0.0.1:\(FleetEndToEndTests.port)\(path)"])
            let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
    }

    /// 100 TCP and 100 UDP packets between namespace-only addresses (Scapy writes the pcap).
    static func traffic(_ path: String) throws {
        let script = """
        from scapy.all import Ether, IP, TCP, UDP, wrpcap
        pkts = []
        for i in range(100):
            pkts.append(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="10.9.0.1", dst="10.9.0.2")/TCP(sport=40000+i, dport=443, flags="S"))
            pkts.append(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="10.9.0.1", dst="10.9.0.3")/UDP(sport=50000+i, dport=53)/(b"q"*20))
        wrpcap("\(path)", pkts)
        """
        let r = try Support.run(["python3", "-c", script])
        guard r.status == 0 else { throw Lab.LabError(message: "scapy: \(r.stderr)") }
    }

    static func tcpdumpCount(_ file: String, _ filter: String) throws -> Int {
        let r = try Support.run(["tcpdump", "-nr", file, filter])
        return r.stdout.split(separator: "\n").count
    }

    /// Packets of the store matching `expr` in [from, to), by the agent's own query.
    static func storeCount(_ store: String, _ expr: String, from: Double? = nil, to: Double? = nil) throws -> Int {
        var argv = [Support.agentBinary, "query", "--store", store, "--count"]
        if let from { argv += ["--from", String(format: "%.3f", from)] }
        if let to { argv += ["--to", String(format: "%.3f", to)] }
        let r = try Support.run(argv + [expr])
        return Int(r.stdout.split(separator: " ").first ?? "") ?? -1
    }

    struct AgentRow: Decodable {
        var agent: String; var authenticated: Bool; var desiredVersion: Int64; var appliedVersion: Int64; var configState: String
        var configError: String?; var configErrorKey: String?; var group: String?; var pendingRestart: [String]
        var registration: Registration?
        struct Registration: Decodable { var appliedVersion: Int64; var interfaces: [String] }
    }

    static func agents(_ lab: Lab, pki: String) -> [AgentRow] {
        guard let (status, body) = try? lab.api("GET", "/api/v1/fleet/agents", pki: pki), status == 200 else { return [] }
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return (try? d.decode([AgentRow].self, from: Data(body.utf8))) ?? []
    }

    /// Agents the server has records from (`GET /api/v1/agents`).
    static func agentsSeen(_ lab: Lab, pki: String) -> [String] {
        struct Seen: Decodable { var agent: String }
        guard let (status, body) = try? lab.api("GET", "/api/v1/agents", pki: pki), status == 200 else { return [] }
        return ((try? JSONDecoder().decode([Seen].self, from: Data(body.utf8))) ?? []).map(\.agent)
    }

    @Test("a group prefilter reaches three agents and rules their next segments; a bad one is refused by each; a restart keeps the version")
    func centralPrefilter() throws {
        let dir = Support.temporaryDirectory("fleet-e2e")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pki = dir + "/pki"
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        #expect(try Support.run(["bash", root.appendingPathComponent("Tests/TestSupport/Scripts/make_test_pki.sh").path, pki]).status == 0)
        var tokens = "operator ops \(Self.operatorToken)\n"
        for i in 1...3 {
            let t = "agent-\(i)-token-0123456789abcdef"
            tokens += "agent a\(i) \(t)\n"
            try (t + "\n").write(toFile: dir + "/a\(i).token", atomically: true, encoding: .utf8)
            chmod(dir + "/a\(i).token", 0o600)
        }
        try tokens.write(toFile: dir + "/tokens", atomically: true, encoding: .utf8)
        chmod(dir + "/tokens", 0o600)
        let drill = "drilldown-token-0123456789abcdef"
        try "drilldown server \(drill)\n".write(toFile: dir + "/agent-api.tokens", atomically: true, encoding: .utf8)
        try (drill + "\n").write(toFile: dir + "/drill.token", atomically: true, encoding: .utf8)
        chmod(dir + "/agent-api.tokens", 0o600)
        chmod(dir + "/drill.token", 0o600)
        let pcap = dir + "/traffic.pcap"
        try Self.traffic(pcap)
        let tcpInFile = try Self.tcpdumpCount(pcap, "tcp"), udpInFile = try Self.tcpdumpCount(pcap, "udp")
        #expect(tcpInFile == 100 && udpInFile == 100)

        let lab = try Lab()
        defer { lab.tearDown() }
        let server = try ChildProcesses.start(["/usr/bin/env", "ip", "netns", "exec", lab.capture, Support.serverBinary, "serve",
                                               "--listen", "127.0.0.1:\(Self.port)", "--data", dir + "/server", "--token-file", dir + "/tokens",
                                               "--tls-cert", pki + "/server.pem", "--tls-key", pki + "/server.key", "--log-level", "warning",
                                               "--drilldown-allow", "127.0.0.0/8", "--drilldown-token-file", dir + "/drill.token", "--drilldown-ca", pki + "/ca.pem"],
                                              log: dir + "/server.log")
        defer { ChildProcesses.stop(server) }
        #expect(ChildProcesses.waitFor(20) { (try? lab.api("GET", "/api/v1/fleet/groups", pki: pki))?.0 == 200 }, "server up")
        #expect(try lab.api("PUT", "/api/v1/fleet/groups/lab", body: #"{"site": "lab-1", "tags": ["test"]}"#, pki: pki).0 == 200)

        func startAgent(_ i: Int) throws -> Process {
            // a1 exports its records to an address where nothing listens (they wait in its
            // spool) until the server moves its target; the others run no analytics.
            let analytics = i == 1 ? "export: {http: {url: \"https://127.0.0.1:9/api/v1/ingest\", token_file: \(dir)/a1.token, ca_file: \(pki)/ca.pem}}"
                : "analytics: {enabled: false}"
            let yaml = """
            agent_id: a\(i)
            store: \(dir)/store\(i)
            storage: {segment_size: 64KiB, quota: 64MiB}
            capture: {interface: \(lab.inside(i))}
            api: {tokens_file: \(dir)/agent-api.tokens, tls_cert: \(pki)/server.pem, tls_key: \(pki)/server.key}
            \(analytics)
            fleet: {server: "https://127.0.0.1:\(Self.port)", token_file: \(dir)/a\(i).token, ca_file: \(pki)/ca.pem, group: lab, poll_interval: 2s}
            """
            try yaml.write(toFile: dir + "/a\(i).yaml", atomically: true, encoding: .utf8)
            // Its query API on the namespace's loopback (TLS, the server's drill-down token): registered, it serves search.
            return try ChildProcesses.start(["/usr/bin/env", "ip", "netns", "exec", lab.capture, Support.agentBinary, "capture",
                                             "--config", dir + "/a\(i).yaml", "--listen", "127.0.0.1:\(18_470 + i)", "--log-level", "info"],
                                            log: dir + "/a\(i).log")
        }
        var agents = try (1...3).map(startAgent)
        defer { for a in agents { ChildProcesses.stop(a) } }
        let logs = { (1...3).map { (try? String(contentsOfFile: dir + "/a\($0).log", encoding: .utf8)) ?? "" }.joined(separator: "\n---\n") }
        #expect(ChildProcesses.waitFor(30) { Self.agents(lab, pki: pki).filter { $0.authenticated && $0.group == "lab" }.count == 3 },
                "three agents registered with their tokens: \(Self.agents(lab, pki: pki))\n\(logs())")

        // Before: everything is stored.
        try lab.replay(pcap)
        #expect(ChildProcesses.waitFor(15) { (1...3).allSatisfy { (try? Self.storeCount(dir + "/store\($0)", "tcp")) == tcpInFile } }, "TCP stored before")

        // A prefilter for the group.
        let (putStatus, putBody) = try lab.api("PUT", "/api/v1/fleet/groups/lab/config?comment=udp+only", body: "capture:\n  prefilter: udp\n",
                                               type: "application/yaml", pki: pki)
        #expect(putStatus == 201, "\(putBody)")
        let version = Self.agents(lab, pki: pki).first?.desiredVersion ?? -1
        #expect(ChildProcesses.waitFor(30) { Self.agents(lab, pki: pki).filter { $0.appliedVersion == version && $0.configState == "in_sync" }.count == 3 },
                "applied by all three: \(Self.agents(lab, pki: pki))")
        let applied = Date().timeIntervalSince1970
        try lab.replay(pcap)
        Thread.sleep(forTimeInterval: 2)  // the agents flush their open segment every second
        for i in 1...3 {
            let store = dir + "/store\(i)"
            #expect(try Self.storeCount(store, "udp", from: applied) == udpInFile, "agent a\(i): UDP after the change")
            #expect(try Self.storeCount(store, "tcp", from: applied) == 0, "agent a\(i): no TCP after the change")
            #expect(try Self.storeCount(store, "tcp", to: applied) == tcpInFile, "agent a\(i): TCP before the change kept")
        }

        // A prefilter that does not compile: refused by each, shown by the server, the good one runs on.
        #expect(try lab.api("PUT", "/api/v1/fleet/groups/lab/config", body: "capture:\n  prefilter: \"udp and\"\n", type: "application/yaml", pki: pki).0 == 201)
        #expect(ChildProcesses.waitFor(30) {
            Self.agents(lab, pki: pki).filter { $0.configState == "refused" && $0.configErrorKey == "capture.prefilter" && $0.appliedVersion == version }.count == 3
        }, "refused by all three: \(Self.agents(lab, pki: pki))")
        // A local-only key never reaches them: the server refuses it, naming the key.
        let (localStatus, localBody) = try lab.api("PUT", "/api/v1/fleet/groups/lab/config", body: "api:\n  tokens_file: /tmp/x\n", type: "application/yaml", pki: pki)
        #expect(localStatus == 400 && localBody.contains("api"), "\(localBody)")

        // Restart a1: it runs the version it applied (from its store), and says so at registration.
        ChildProcesses.stop(agents[0])
        let restarted = Date().timeIntervalSince1970
        agents[0] = try startAgent(1)
        #expect(ChildProcesses.waitFor(30) {
            guard let a = Self.agents(lab, pki: pki).first(where: { $0.agent == "a1" }), let r = a.registration else { return false }
            return r.appliedVersion == version && a.appliedVersion == version
        }, "a1 after restart: \(Self.agents(lab, pki: pki))")
        Thread.sleep(forTimeInterval: 1)
        try lab.replay(pcap)
        Thread.sleep(forTimeInterval: 2)
        #expect(try Self.storeCount(dir + "/store1", "tcp", from: restarted) == 0, "a1 still filters after its restart")
        #expect(try Self.storeCount(dir + "/store1", "udp", from: restarted) == udpInFile)

        // An export target moved by the server, with the spool kept: a1's records, held since it
        // started, reach the server once its target is the server's ingest.
        // (The group's document is mended first: an agent's effective version holds its group's keys.)
        #expect(try lab.api("PUT", "/api/v1/fleet/groups/lab/config?comment=mended", body: "capture:\n  prefilter: udp\n", type: "application/yaml", pki: pki).0 == 201)
        #expect(ChildProcesses.waitFor(30) { Self.agents(lab, pki: pki).filter { $0.configState == "in_sync" }.count == 3 },
                "mended: \(Self.agents(lab, pki: pki))")
        #expect(Self.agentsSeen(lab, pki: pki).contains("a1") == false, "nothing from a1 yet")
        let (exportStatus, exportBody) = try lab.api("PUT", "/api/v1/fleet/agents/a1/config",
                                                     body: "export:\n  http:\n    url: https://127.0.0.1:\(Self.port)/api/v1/ingest\n", type: "application/yaml", pki: pki)
        #expect(exportStatus == 201, "\(exportBody)")
        #expect(ChildProcesses.waitFor(30) {
            guard let a = Self.agents(lab, pki: pki).first(where: { $0.agent == "a1" }) else { return false }
            return a.appliedVersion == a.desiredVersion && a.pendingRestart.isEmpty
        }, "a1 applied the export target live: \(Self.agents(lab, pki: pki))")
        #expect(ChildProcesses.waitFor(30) { Self.agentsSeen(lab, pki: pki).contains("a1") }, "a1's spooled records reached the server\n\(logs())")

        // A recording planned centrally for a2: it sees the packets before the prefilter, so its
        // `tcp` filter keeps the TCP packets the ring (prefilter `udp`) does not store.
        let f = ISO8601DateFormatter()
        let start = f.string(from: Date().addingTimeInterval(-1)), end = f.string(from: Date().addingTimeInterval(300))
        let recordingDoc = "recordings:\n  - {id: tcp-watch, start: \"\(start)\", end: \"\(end)\", filter: tcp, quota: 8MiB}\n"
        let (recStatus, recBody) = try lab.api("PUT", "/api/v1/fleet/agents/a2/config", body: recordingDoc, type: "application/yaml", pki: pki)
        #expect(recStatus == 201, "\(recBody)")
        #expect(ChildProcesses.waitFor(30) {
            guard let a = Self.agents(lab, pki: pki).first(where: { $0.agent == "a2" }) else { return false }
            return a.appliedVersion == a.desiredVersion && a.configState == "in_sync"
        }, "a2 planned the recording: \(Self.agents(lab, pki: pki))")
        Thread.sleep(forTimeInterval: 2)  // the recorder re-reads its file once a second
        let planned = Date().timeIntervalSince1970
        try lab.replay(pcap)
        Thread.sleep(forTimeInterval: 2)
        #expect(ChildProcesses.waitFor(15) { (try? Self.storeCount(dir + "/store2/recordings/tcp-watch", "tcp")) == tcpInFile },
                "the recording holds the replay's TCP packets")
        #expect(try Self.storeCount(dir + "/store2/recordings/tcp-watch", "udp") == 0)
        #expect(try Self.storeCount(dir + "/store2", "tcp", from: planned) == 0, "the ring still stores no TCP")

        // One registry: a search of the group reaches the three agents at the query APIs they
        // registered with their tokens, and counts what each agent's own query counts.
        struct Counts: Decodable { struct Agent: Decodable { var agent: String; var packets: Int }; var agents: [Agent]; var partial: Bool }
        let (searchStatus, searchBody) = try lab.api("GET", "/api/v1/search?q=udp&group=lab&format=counts", pki: pki)
        #expect(searchStatus == 200, "\(searchBody)")
        let counts = try JSONDecoder().decode(Counts.self, from: Data(searchBody.utf8))
        #expect(!counts.partial && counts.agents.map(\.agent).sorted() == ["a1", "a2", "a3"], "\(searchBody)")
        for a in counts.agents {
            let own = try Self.storeCount(dir + "/store" + a.agent.dropFirst(), "udp")
            #expect(a.packets == own && own >= 2 * udpInFile, "\(a.agent): search \(a.packets), own query \(own)")
        }
        #expect(try lab.api("GET", "/api/v1/search?q=udp&group=nosuch&format=counts", pki: pki).0 == 404)

        // The audit names who changed what.
        let (_, audit) = try lab.api("GET", "/api/v1/fleet/audit", pki: pki)
        #expect(audit.contains("\"who\":\"ops\"") && audit.contains("prefilter: udp"), "\(audit)")
    }
}
