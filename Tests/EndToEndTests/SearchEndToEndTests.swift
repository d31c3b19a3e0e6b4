import Foundation
import Testing
import VigieTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Three real agents (`vigie-agent serve` over three stores, each `vigie-agent ingest` of a third
/// of one generated capture, packets dealt round-robin so their times interleave, some equal) announce their
/// query APIs to a real `vigie-server`; `GET /api/v1/search` must answer what the agents' own
/// `vigie-agent query` answers, merged by Wireshark's `mergecap`.
final class SearchCluster {
    struct Agent {
        var id: String
        var store: String
        var port: Int
        var process: Process
    }

    let dir = Support.temporaryDirectory("search")
    var agents: [Agent] = []
    var server: Process?
    let serverPort = TestPorts.unused()

    static var generator: String { URL(fileURLWithPath: Support.agentBinary).deletingLastPathComponent().appendingPathComponent("vigie-gen").path }

    init(serverArguments: [String] = []) throws {
        let capture = dir + "/all.pcap"
        let gen = try Support.run([Self.generator, "-o", capture, "--packets", "3000", "--rate-pps", "2000"])
        try #require(gen.status == 0, "\(gen.stderr)")
        for (i, id) in ["edge-a", "edge-b", "edge-c"].enumerated() {
            // Packets i+1, i+4, ... of the capture: times interleave, and some are equal across agents.
            let part = dir + "/\(id).pcap", store = dir + "/\(id)"
            let split = try Support.run(["tshark", "-r", capture, "-Y", "frame.number % 3 == \((i + 1) % 3)", "-F", "pcap", "-w", part])
            try #require(split.status == 0, "\(split.stderr)")
            let ingest = try Support.run([Support.agentBinary, "ingest", "--store", store, "--agent-id", id, "--no-progress",
                                          "--log-level", "error", part])
            try #require(ingest.status == 0, "\(ingest.stderr)")
            agents.append(try start(id: id, store: store))
        }
        server = try ChildProcesses.start([HTTPFixture.serverBinary, "serve", "--listen", "127.0.0.1:\(serverPort)", "--data", dir + "/server",
                                           "--log-level", "warning", "--drilldown-allow", "127.0.0.0/8"] + serverArguments,
                                          log: dir + "/server.log")
        let up = ChildProcesses.waitFor(30) { (try? self.get("/healthz").status) == 200 }
        try #require(up, "the server listens")
        for a in agents {
            let ready = ChildProcesses.waitFor(30) {
                (try? Support.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(a.port)/healthz"]).stdout) == "200"
            }
            try #require(ready, "agent \(a.id) serves its query API")
            try announce(a.id, "http://127.0.0.1:\(a.port)")
        }
    }

    func start(id: String, store: String) throws -> Agent {
        let port = TestPorts.unused()
        let p = try ChildProcesses.start([Support.agentBinary, "serve", "--store", store, "--listen", "127.0.0.1:\(port)", "--log-level", "warning"],
                                         log: dir + "/\(id).log")
        return Agent(id: id, store: store, port: port, process: p)
    }

    deinit {
        for a in agents { ChildProcesses.stop(a.process) }
        if let server { ChildProcesses.stop(server) }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Posts an `agent_health` naming `queryAPI`, as an agent does (no tokens: any agent may ingest).
    func announce(_ agent: String, _ queryAPI: String) throws {
        let line = Lines.agentHealth(agent: agent, seq: Int64(Date().timeIntervalSince1970 * 1000))
            .replacingOccurrences(of: #"{"schema_version":1,"#, with: #"{"query_api":"\#(queryAPI)","schema_version":1,"#)
        let file = dir + "/announce-\(agent).ndjson"
        try (line + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let r = try Support.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/x-ndjson",
                                 "--data-binary", "@\(file)", url("/api/v1/ingest")])
        try #require(r.stdout == "200", "announce \(agent): \(r.stdout)")
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(serverPort)\(path)" }

    /// GET `path`: status, response headers (lower-cased names), and the body (into `file` when given).
    func get(_ path: String, to file: String? = nil) throws -> (status: Int, headers: [String: String], body: String) {
        let out = file ?? dir + "/body-\(UUID().uuidString.prefix(8))", headerFile = dir + "/headers-\(UUID().uuidString.prefix(8))"
        let r = try Support.run(["curl", "-s", "--max-time", "120", "-D", headerFile, "-o", out, "-w", "%{http_code}", url(path)], lossy: true)
        var headers: [String: String] = [:]
        for line in ((try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? "").split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = file == nil ? ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "") : ""
        return (Int(r.stdout) ?? 0, headers, body)
    }

    /// The agent's own answer to `query`, straight from its store.
    func direct(_ agent: Agent, _ query: String) throws -> String {
        let out = dir + "/direct-\(agent.id).pcap"
        let r = try Support.run([Support.agentBinary, "query", "--store", agent.store, "-w", out, query])
        try #require(r.status == 0, "\(r.stderr)")
        return out
    }

    static func bytes(_ path: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) }
    static func encode(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
}

/// A TCP listener on loopback that takes connections (the kernel's backlog completes them) and
/// never answers: an agent that hangs.
final class SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        try #require(bound == 0 && listen(fd, 16) == 0 && port != 0, "listen on 127.0.0.1")
    }

    deinit { close(fd) }
}

@Suite("Search end to end: three agents, one merged answer", .serialized,
       .enabled(if: Support.hasTool("curl") && Support.hasTool("tshark") && Support.hasTool("mergecap"), "needs curl, tshark and mergecap"))
struct SearchEndToEndTests {
    static let query = "port 53 or port 443"

    @Test("search = mergecap of the agents' own query answers, byte for byte; counts = tshark's count of each")
    func unionOfAgents() throws {
        let c = try SearchCluster()
        let pcap = c.dir + "/search.pcap"
        let r = try c.get("/api/v1/search?q=\(SearchCluster.encode(Self.query))", to: pcap)
        #expect(r.status == 200)
        #expect(r.headers["vigie-search-agents"] == "edge-a, edge-b, edge-c", "\(r.headers)")
        #expect(r.headers["vigie-search-partial"] == nil && r.headers["vigie-search-missing"] == nil && r.headers["vigie-search-truncated"] == nil)

        let directs = try c.agents.map { try c.direct($0, Self.query) }
        let expected = c.dir + "/mergecap.pcap"
        // mergecap takes the *last* input among equal times (wiretap's is_earlier is <=): given the
        // agents in reverse, its order for equal times is the search's (agent-id order).
        let m = try Support.run(["mergecap", "-F", "nsecpcap", "-w", expected] + directs.reversed())
        #expect(m.status == 0, "\(m.stderr)")
        let ours = try SearchCluster.bytes(pcap), theirs = try SearchCluster.bytes(expected)
        try #require(ours.count > 24 && theirs.count > 24)
        #expect(ours[20..<24] == theirs[20..<24], "the same link type")
        let firstDifference = zip(ours[24...], theirs[24...]).enumerated().first { $0.element.0 != $0.element.1 }.map { $0.offset + 24 }
        #expect(ours.count == theirs.count && firstDifference == nil,
                "the same records, times and order as mergecap (\(ours.count) and \(theirs.count) bytes, first difference at \(firstDifference ?? -1))")
        let fingerprint = try Support.tsharkFingerprint([pcap])
        let perAgent = try directs.map { try Support.tsharkFingerprint([$0]).count }
        #expect(perAgent.allSatisfy { $0 > 10 }, "every agent contributes packets: \(perAgent)")
        #expect(fingerprint.count == perAgent.reduce(0, +))

        // format=counts against tshark's count and frame.len sum of each agent's own answer.
        let counts = try c.get("/api/v1/search?q=\(SearchCluster.encode(Self.query))&format=counts")
        #expect(counts.status == 200)
        let o = try #require(try JSONSerialization.jsonObject(with: Data(counts.body.utf8)) as? [String: Any])
        let lines = try #require(o["agents"] as? [[String: Any]])
        #expect(lines.map { $0["agent"] as? String } == ["edge-a", "edge-b", "edge-c"])
        var totalPackets = 0, totalBytes = 0
        for (line, file) in zip(lines, directs) {
            let t = try Support.run(["tshark", "-n", "-r", file, "-T", "fields", "-e", "frame.len"])
            let lengths = t.stdout.split(separator: "\n").compactMap { Int($0) }
            #expect(line["packets"] as? Int == lengths.count, "\(line)")
            #expect(line["bytes"] as? Int == lengths.reduce(0, +), "\(line)")
            #expect(line["status"] as? String == "ok")
            totalPackets += lengths.count
            totalBytes += lengths.reduce(0, +)
        }
        let total = try #require(o["total"] as? [String: Any])
        #expect(total["packets"] as? Int == totalPackets && total["bytes"] as? Int == totalBytes)
        #expect(o["partial"] as? Bool == false && (o["missing"] as? [String]) == [])

        // agents= picks agents; the answer is theirs only.
        let two = c.dir + "/two.pcap"
        let picked = try c.get("/api/v1/search?q=\(SearchCluster.encode(Self.query))&agents=edge-c,edge-a", to: two)
        #expect(picked.status == 200 && picked.headers["vigie-search-agents"] == "edge-a, edge-c")
        #expect(try Support.tsharkFingerprint([two]).count == perAgent[0] + perAgent[2])

        // A cap on the merged answer: a byte prefix of the whole answer, flagged.
        let cap = c.dir + "/cap.pcap"
        let limited = try c.get("/api/v1/search?q=\(SearchCluster.encode(Self.query))&limit=5", to: cap)
        #expect(limited.status == 200 && limited.headers["vigie-search-truncated"] == "true", "\(limited.headers)")
        let head = try SearchCluster.bytes(cap)
        #expect(try Support.tsharkFingerprint([cap]).count == 5)
        #expect(ours.prefix(head.count).elementsEqual(head), "the first 5 packets of the whole answer")
    }

    @Test("--search-max-bytes cuts the merged pcap at a whole packet: a byte prefix of the whole answer, flagged")
    func byteCap() throws {
        let cap = 100_000
        let c = try SearchCluster(serverArguments: ["--search-max-bytes", "\(cap)"])
        let pcap = c.dir + "/cut.pcap"
        let r = try c.get("/api/v1/search?q=\(SearchCluster.encode(Self.query))", to: pcap)
        #expect(r.status == 200 && r.headers["vigie-search-truncated"] == "true", "\(r.headers)")
        #expect(r.headers["vigie-search-partial"] == nil)
        let cut = try SearchCluster.bytes(pcap)
        #expect(cut.count <= cap && cut.count > cap - 2000, "\(cut.count) bytes: up to the last whole packet below the cap")
        // The whole answer, as the agents' own answers merged (mergecap given them in reverse: see above).
        let whole = c.dir + "/whole.pcap"
        let directs = try c.agents.map { try c.direct($0, Self.query) }
        #expect(try Support.run(["mergecap", "-F", "nsecpcap", "-w", whole] + directs.reversed()).status == 0)
        let all = try SearchCluster.bytes(whole)
        #expect(all.count > cap)
        #expect(cut[20..<24] == all[20..<24] && cut[24...].elementsEqual(all[24..<cut.count]), "a prefix of the whole answer, record for record")
        let packets = try Support.tsharkFingerprint([pcap]).count, wholePackets = try Support.tsharkFingerprint([whole]).count
        #expect(packets > 0 && packets < wholePackets, "tshark reads every packet of the cut answer")
    }

    @Test("a stopped agent: 200, partial, the agent named; a hanging one is named after the timeout, not later")
    func missingAgents() throws {
        let c = try SearchCluster(serverArguments: ["--search-timeout", "2"])
        let silent = try SilentListener()
        try c.announce("edge-hang", "http://127.0.0.1:\(silent.port)")
        ChildProcesses.stop(c.agents[2].process)

        let started = Date()
        let pcap = c.dir + "/partial.pcap"
        let r = try c.get("/api/v1/search?q=\(SearchCluster.encode(Self.query))", to: pcap)
        let elapsed = Date().timeIntervalSince(started)
        #expect(r.status == 200)
        #expect(r.headers["vigie-search-partial"] == "true", "\(r.headers)")
        #expect(r.headers["vigie-search-agents"] == "edge-a, edge-b", "\(r.headers)")
        let missing = r.headers["vigie-search-missing"] ?? ""
        #expect(missing.contains("edge-c=connection refused") && missing.contains("edge-hang=timed out"), "\(missing)")
        // Generous: the timeout is 2 s; without it the hanging agent would hold the answer forever
        // (curl gives up at 120 s).
        #expect(elapsed < 30, "answered after \(elapsed) s")
        let expected = try c.agents.prefix(2).map { try Support.tsharkFingerprint([c.direct($0, Self.query)]).count }.reduce(0, +)
        #expect(try Support.tsharkFingerprint([pcap]).count == expected)

        let counts = try c.get("/api/v1/search?q=\(SearchCluster.encode(Self.query))&format=counts")
        let o = try #require(try JSONSerialization.jsonObject(with: Data(counts.body.utf8)) as? [String: Any])
        #expect(o["partial"] as? Bool == true)
        #expect((o["missing"] as? [String]) == ["edge-c", "edge-hang"], "\(counts.body)")
        let statuses = (o["agents"] as? [[String: Any]])?.map { $0["status"] as? String }
        #expect(statuses == ["ok", "ok", "unreachable", "timeout"], "\(counts.body)")
    }
}
