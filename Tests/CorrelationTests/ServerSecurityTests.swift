import Foundation
import Testing
import VigieTestSupport
@testable import Correlation
@testable import ServerHTTP

/// A stand-in for an agent's query API on loopback (Tests/Support/drilldown_target.py): what it
/// answers, and every request it received.
final class DrillDownTarget {
    let process = Process()
    let log: String
    let port: Int

    init(mode: String, dir: String) throws {
        log = dir + "/target-\(UUID().uuidString.prefix(6)).log"
        _ = FileManager.default.createFile(atPath: log, contents: Data())
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/drilldown_target.py").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, log, mode]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0A]) { break }
            line.append(byte)
        }
        port = Int(String(decoding: line, as: UTF8.self)) ?? 0
    }

    deinit {
        // SIGKILL: nothing to flush, and a blocked SIGTERM cannot hang the test.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The requests received, as logged.
    var requests: [[String: Any]] {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

extension HTTPFixture {
    /// `curl` with any arguments against the fixture (status, body, response headers); at most `maxTime` seconds.
    func curl(_ args: [String], _ path: String, maxTime: Int = 30) throws -> (status: Int, body: String, headers: String) {
        let headers = dir + "/headers-\(UUID().uuidString.prefix(6))"
        let r = try Self.run(["curl", "-s", "--max-time", "\(maxTime)", "-D", headers, "-w", "\n%{http_code}"] + args + [url(path)])
        let cut = r.stdout.lastIndex(of: "\n") ?? r.stdout.startIndex
        let h = (try? String(contentsOfFile: headers, encoding: .utf8)) ?? ""
        return (Int(r.stdout[r.stdout.index(after: cut)...]) ?? 0, String(r.stdout[..<cut]), h)
    }

    /// Ingests an `agent_health` announcing `queryAPI` and a `service_state` of 10.0.0.5:443/tcp (edge-paris-01).
    func announce(_ queryAPI: String, seq: Int64) throws {
        let health = Lines.agentHealth(seq: seq).replacingOccurrences(of: #"{"schema_version":1,"#, with: #"{"query_api":"\#(queryAPI)","schema_version":1,"#)
        let r = try post([health, Lines.serviceState(seq: seq + 1, state: "UP")])
        #expect(r.status == 200, "\(r.body)")
    }

    static let drill = "/api/v1/drilldown/packets?service=10.0.0.5%3A443%2Ftcp"
}

@Suite("vigie-server security: drill-down targets, ingest limits, media types", .serialized,
       .enabled(if: HTTPFixture.hasTool("curl") && HTTPFixture.hasTool("gzip") && HTTPFixture.hasTool("python3"), "needs curl, gzip and python3"))
struct ServerSecurityTests {
    // MARK: Drill-down

    @Test("drill-down is disabled by default: 403 naming --drilldown-allow, the announced target is not contacted")
    func drillDownDisabled() throws {
        let f = try HTTPFixture()
        let target = try DrillDownTarget(mode: "pcap", dir: f.dir)
        try f.announce("http://127.0.0.1:\(target.port)", seq: 1)
        let r = try f.curl([], HTTPFixture.drill)
        #expect(r.status == 403, "\(r.body)")
        #expect(r.body.contains("--drilldown-allow"))
        #expect(target.requests.isEmpty)
    }

    @Test("a query_api that is not an agent: outside the allow-list not contacted; allowed, its answer is never echoed")
    func drillDownNotAnAgent() throws {
        let outside = try HTTPFixture(arguments: ["--drilldown-allow", "10.0.0.0/8"])
        let raw = try DrillDownTarget(mode: "raw", dir: outside.dir)
        try outside.announce("http://127.0.0.1:\(raw.port)", seq: 1)
        let refused = try outside.curl([], HTTPFixture.drill)
        #expect(refused.status == 403, "\(refused.body)")
        #expect(refused.body.contains("outside --drilldown-allow"))
        #expect(raw.requests.isEmpty)

        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8"])
        let banner = try DrillDownTarget(mode: "raw", dir: f.dir)
        try f.announce("http://127.0.0.1:\(banner.port)", seq: 1)
        let r = try f.curl([], HTTPFixture.drill)
        #expect(r.status == 502, "\(r.body)")
        let problem = try f.jsonObject(r.body)
        #expect(problem["title"] as? String == "Bad Gateway")
        #expect((problem["detail"] as? String)?.contains("agent edge-paris-01: ") == true, "\(r.body)")
        #expect(!r.body.contains("SECRET") && !r.body.contains("127.0.0.1"), "\(r.body)")
        #expect(banner.requests.count == 1)

        let http404 = try DrillDownTarget(mode: "status:404", dir: f.dir)
        try f.announce("http://127.0.0.1:\(http404.port)", seq: 3)
        let notFound = try f.curl([], HTTPFixture.drill)
        #expect(notFound.status == 502)
        #expect(notFound.body.contains("agent edge-paris-01: HTTP 404"), "\(notFound.body)")
        #expect(!notFound.body.contains("SECRET"), "\(notFound.body)")
    }

    @Test("an agent's 400 becomes a 400 naming it (its body is not echoed); all agents timing out is 504")
    func drillDownAgentStatus() throws {
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8", "--drilldown-timeout", "1"])
        let bad = try DrillDownTarget(mode: "status:400", dir: f.dir)
        try f.announce("http://127.0.0.1:\(bad.port)", seq: 1)
        let r = try f.curl([], HTTPFixture.drill)
        #expect(r.status == 400, "\(r.body)")
        #expect(r.body.contains("agent edge-paris-01: HTTP 400"), "\(r.body)")
        #expect(!r.body.contains("SECRET"), "\(r.body)")
        let slow = try DrillDownTarget(mode: "hang:3", dir: f.dir)
        try f.announce("http://127.0.0.1:\(slow.port)", seq: 3)
        let timeout = try f.curl([], HTTPFixture.drill)
        #expect(timeout.status == 504, "\(timeout.body)")
        #expect(try f.jsonObject(timeout.body)["title"] as? String == "Gateway Timeout")
        #expect(timeout.body.contains("agent edge-paris-01: timed out"), "\(timeout.body)")
    }

    @Test("a token agent's query API is trusted only from an agent_health that came with its token (not Kafka, not a stored one)")
    func drillDownAuthenticatedAnnouncement() throws {
        let c = try Correlator(inventory: try Inventory.parse(yaml: shopYAML))
        let health = Lines.agentHealth(seq: 1).replacingOccurrences(of: #"{"schema_version":1,"#, with: #"{"query_api":"http://127.0.0.1:9","schema_version":1,"#)
        _ = c.ingest(Lines.batch([health]))                                  // Kafka, or no token
        #expect(c.authenticatedHealthLines().isEmpty)
        _ = c.ingest(Lines.batch([Lines.agentHealth(seq: 2)]).map { $0 }, agent: "edge-paris-01")
        #expect(c.authenticatedHealthLines()["edge-paris-01"] != nil)

        let dir = temporaryDirectory("ddrestart")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = try DrillDownTarget(mode: "pcap", dir: dir)
        do {
            let f = try HTTPFixture(dir: dir, arguments: ["--drilldown-allow", "127.0.0.0/8"])
            try f.announce("http://127.0.0.1:\(target.port)", seq: 1)
            #expect(try f.curl([], HTTPFixture.drill).status == 200)
        }
        // After a restart the stored announcement is not enough: it waits for the next one with the token.
        let f = try HTTPFixture(dir: dir, inventory: false, arguments: ["--drilldown-allow", "127.0.0.0/8"])
        let r = try f.curl([], HTTPFixture.drill)
        #expect(r.status == 403, "\(r.body)")
        #expect(r.body.contains("did not come with its token"), "\(r.body)")
        try f.announce("http://127.0.0.1:\(target.port)", seq: 10)
        #expect(try f.curl([], HTTPFixture.drill).status == 200)
        #expect(target.requests.count == 2)
    }

    @Test("--drilldown-agent AGENT=URL replaces the announced query API")
    func drillDownDeclaredURL() throws {
        let dir = temporaryDirectory("declared")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let target = try DrillDownTarget(mode: "pcap", dir: dir)
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8", "--drilldown-agent", "edge-paris-01=http://127.0.0.1:\(target.port)"])
        try f.announce("http://127.0.0.1:1", seq: 1)
        let r = try f.curl([], HTTPFixture.drill)
        #expect(r.status == 200, "\(r.body)")
        #expect(target.requests.count == 1)
    }

    @Test("a query_api pointing at the server itself is refused at once (no recursion); Vigie-Drilldown requests answer 508")
    func drillDownSelf() throws {
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8"])
        let selfDrill = "http://127.0.0.1:\(f.port)/api/v1/drilldown/packets?service=10.0.0.5%3A443%2Ftcp#"
        for (seq, api) in [(Int64(1), selfDrill), (3, "http://127.0.0.1:\(f.port)"), (5, "http://[::ffff:127.0.0.1]:\(f.port)/x"),
                           (7, "http://localhost:\(f.port)")] {
            try f.announce(api, seq: seq)
            let started = Date()
            let r = try f.curl([], HTTPFixture.drill, maxTime: 20)
            #expect(r.status == 403, "\(api): \(r.body)")
            #expect(Date().timeIntervalSince(started) < 5, "\(api)")
            #expect(r.body.contains("not contacted"), "\(api): \(r.body)")
        }
        let loop = try f.curl(["-H", "Vigie-Drilldown: 1"], HTTPFixture.drill)
        #expect(loop.status == 508)
        #expect(try f.jsonObject(loop.body)["title"] as? String == "Loop Detected")
    }

    @Test("userinfo, fragment, query, percent-encoding, dot segments, other schemes and missing ports are refused, not contacted")
    func drillDownURLTricks() throws {
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8"])
        let target = try DrillDownTarget(mode: "pcap", dir: f.dir)
        let p = target.port
        let tricks = ["http://x@127.0.0.1:\(p)", "http://127.0.0.1:\(p)@127.0.0.1:\(p)", "http://127.0.0.1:\(p)/#", "http://127.0.0.1:\(p)/a?b=",
                      "http://127.0.0.1:\(p)/%2e%2e", "http://127.0.0.1:\(p)/a/../b", "ftp://127.0.0.1:\(p)", "file:///etc/passwd",
                      "http://127.0.0.1", "http://127.0.0.1:0", "gopher://127.0.0.1:\(p)/_x", "http://127.0.0.1:\(p)\\\\@x"]
        var seq: Int64 = 1
        for api in tricks {
            try f.announce(api, seq: seq)
            seq += 2
            let r = try f.curl([], HTTPFixture.drill)
            #expect(r.status == 403, "\(api): \(r.body)")
            #expect(r.body.contains("refused"), "\(api): \(r.body)")
        }
        #expect(target.requests.isEmpty)
    }

    @Test("an answer above --drilldown-max-bytes aborts the transfer: 502 saying so")
    func drillDownSizeCap() throws {
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8", "--drilldown-max-bytes", "1000"])
        let target = try DrillDownTarget(mode: "big:200000", dir: f.dir)
        try f.announce("http://127.0.0.1:\(target.port)", seq: 1)
        let r = try f.curl([], HTTPFixture.drill)
        #expect(r.status == 502, "\(r.body)")
        #expect(r.body.contains("agent edge-paris-01: answer larger than 1000 bytes"), "\(r.body)")
    }

    @Test("the drill-down token, the loop marker and the caller's identity reach the agent; from keeps its +01:00 offset")
    func drillDownCredentials() throws {
        let dir = temporaryDirectory("ddtoken")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "  s3cret-drill\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.1/32", "--drilldown-token-file", dir + "/token"])
        let target = try DrillDownTarget(mode: "pcap", dir: f.dir)
        try f.announce("http://127.0.0.1:\(target.port)/base", seq: 1)
        let r = try f.curl([], HTTPFixture.drill + "&from=2026-11-23T15:05:00%2B01:00")
        #expect(r.status == 200, "\(r.body)")
        let request = try #require(target.requests.first)
        let headers = try #require(request["headers"] as? [String: String])
        #expect(headers["authorization"] == "Bearer s3cret-drill")
        #expect(headers["vigie-drilldown"] == "1")
        #expect(headers["vigie-on-behalf-of"] == "anonymous")
        let path = try #require(request["path"] as? String)
        #expect(path.hasPrefix("/base/api/v1/packets?"))
        #expect(path.contains("from=2026-11-23T15%3A05%3A00%2B01%3A00"), "\(path)")
        // from/to are checked before anything is forwarded.
        let long = try f.curl([], HTTPFixture.drill + "&to=" + String(repeating: "9", count: 65))
        #expect(long.status == 400)
        #expect(target.requests.count == 1)
    }

    @Test("HTTPS with a CA, a client certificate (mutual TLS) and the token; without the client certificate nothing is fetched; https-only refuses http",
          .enabled(if: HTTPFixture.hasTool("openssl"), "needs openssl"))
    func drillDownMutualTLS() throws {
        let dir = temporaryDirectory("mtls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        let script = """
        set -e; cd '\(dir)'
        openssl req -x509 \(ec) -keyout ca.key -out ca.pem -days 2 -subj /CN=vigie-test-ca 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\\n' > srv.ext
        openssl req \(ec) -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null
        openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile srv.ext 2>/dev/null
        openssl req \(ec) -keyout cli.key -out cli.csr -subj /CN=vigie-server-drilldown 2>/dev/null
        openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem -days 2 2>/dev/null
        printf 'mtls-t0ken\\n' > token
        """
        #expect(try HTTPFixture.run(["sh", "-c", script]).status == 0)
        let target = try DrillDownTarget(mode: "tls:\(dir)/srv.pem:\(dir)/srv.key:\(dir)/ca.pem", dir: dir)
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8", "--drilldown-https-only", "--drilldown-ca", dir + "/ca.pem",
                                            "--drilldown-cert", dir + "/cli.pem", "--drilldown-key", dir + "/cli.key",
                                            "--drilldown-token-file", dir + "/token"])
        try f.announce("https://127.0.0.1:\(target.port)", seq: 1)
        let r = try f.curl([], HTTPFixture.drill)
        #expect(r.status == 200, "\(r.body)")
        let request = try #require(target.requests.first)
        #expect(request["client_cn"] as? String == "vigie-server-drilldown")
        #expect((request["headers"] as? [String: String])?["authorization"] == "Bearer mtls-t0ken")
        // https-only: the same agent announcing http:// is not contacted.
        try f.announce("http://127.0.0.1:\(target.port)", seq: 3)
        let plain = try f.curl([], HTTPFixture.drill)
        #expect(plain.status == 403, "\(plain.body)")
        #expect(plain.body.contains("--drilldown-https-only"))
        // No client certificate: the handshake fails, nothing is fetched.
        let g = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8", "--drilldown-ca", dir + "/ca.pem"])
        try g.announce("https://127.0.0.1:\(target.port)", seq: 1)
        let noCert = try g.curl([], HTTPFixture.drill)
        #expect(noCert.status == 502, "\(noCert.body)")
        #expect(!noCert.body.contains("127.0.0.1"), "\(noCert.body)")
        #expect(target.requests.count == 1)
    }

    @Test("above --drilldown-concurrency fetches, 503 with Retry-After")
    func drillDownConcurrency() throws {
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8", "--drilldown-concurrency", "1"])
        let target = try DrillDownTarget(mode: "hang:3", dir: f.dir)
        try f.announce("http://127.0.0.1:\(target.port)", seq: 1)
        let slow = Process()
        slow.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        slow.arguments = ["curl", "-s", "-o", "/dev/null", "--max-time", "20", f.url(HTTPFixture.drill)]
        try slow.run()
        var waited = 0
        while target.requests.isEmpty && waited < 50 { usleep(100_000); waited += 1 }
        let busy = try f.curl([], HTTPFixture.drill)
        slow.waitUntilExit()
        #expect(busy.status == 503, "\(busy.body)")
        #expect(busy.headers.lowercased().contains("retry-after: 1"))
        #expect(target.requests.count == 1)
    }

    @Test("a service seen by more agents than --drilldown-concurrency is fetched in turns, not refused")
    func drillDownMoreAgentsThanCap() throws {
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8", "--drilldown-concurrency", "1", "--token", "edge-d=td"])
        let a = try DrillDownTarget(mode: "pcap", dir: f.dir), d = try DrillDownTarget(mode: "pcap", dir: f.dir)
        try f.announce("http://127.0.0.1:\(a.port)", seq: 1)
        let health = Lines.agentHealth(agent: "edge-d", seq: 1)
            .replacingOccurrences(of: #"{"schema_version":1,"#, with: #"{"query_api":"http://127.0.0.1:\#(d.port)","schema_version":1,"#)
        #expect(try f.post([health, Lines.serviceState(agent: "edge-d", seq: 2, state: "UP")], token: "td").status == 200)
        let r = try f.curl([], HTTPFixture.drill)
        #expect(r.status == 200, "\(r.body)")
        #expect(r.headers.contains("agents=\"edge-d,edge-paris-01\""), "\(r.headers)")
        #expect(a.requests.count == 1 && d.requests.count == 1)
    }

    @Test("query_api parsing and allow-lists, unit level")
    func queryAPIParsing() throws {
        let ok = try QueryAPI.parse("HTTPS://[::1]:8443/vigie/")
        #expect(ok.https && ok.host == "::1" && ok.port == 8443 && ok.basePath == "/vigie")
        #expect(ok.url("/api/v1/packets") == "https://[::1]:8443/vigie/api/v1/packets")
        #expect(try QueryAPI.parse("http://edge-a.example:8481").literal == nil)
        for bad in ["http://a@b:1", "http://b:1#", "http://b:1?x", "http://b:99999", "http://b:1/%41", "http://b:1/..", "http://[zz]:1",
                    "http://1.2.3:80", "http://b :1", "http://b:+1", "ftp://b:1", "http://b:1/ä"] {
            #expect(throws: QueryAPI.Invalid.self, "\(bad)") { try QueryAPI.parse(bad) }
        }
        let net = try AddressRange(parsing: "127.0.0.0/8")
        #expect(net.contains([127, 1, 2, 3]))
        #expect(net.contains(IPAddressText.parse("::ffff:127.0.0.1")!))
        #expect(!net.contains([10, 0, 0, 1]))
        #expect(try AddressRange(parsing: "::1").contains(IPAddressText.parse("::1")!))
        for bad in ["127.0.0.0/33", "x", "10.0.0.0/-1", "::/129", ""] {
            #expect(throws: AddressRange.Invalid.self, "\(bad)") { try AddressRange(parsing: bad) }
        }
        #expect(Problem.make(502, "x").title == "Bad Gateway")
        #expect(Problem.make(504, "x").title == "Gateway Timeout")
        #expect(Problem.make(405, "x").title == "Method Not Allowed")
        #expect(Problem.make(508, "x").title == "Loop Detected")
    }

    // MARK: Ingest

    @Test("a gzip of millions of malformed lines: 400 with the first 50 errors and the count; the server's peak RSS stays bounded")
    func malformedAmplification() throws {
        let f = try HTTPFixture(arguments: ["--agent-rate-limit", "0"])
        let lines = 30_000_000
        let body = f.dir + "/flood.gz"
        _ = try HTTPFixture.run(["sh", "-c", "yes x | head -n \(lines) | gzip -c > '\(body)'"])
        func peakRSS() -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(f.server.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        let before = peakRSS()
        let r = try f.curl(["-H", "Content-Type: application/x-ndjson", "-H", "Content-Encoding: gzip", "-H", "Authorization: Bearer t0k3n",
                            "--data-binary", "@" + body], "/api/v1/ingest", maxTime: 600)
        let after = peakRSS()
        #expect(r.status == 400)
        let problem = try f.jsonObject(r.body)
        #expect((problem["errors"] as? [Any])?.count == 50)
        #expect(problem["error_count"] as? Int == lines)
        #expect(problem["line"] as? Int == 1)
        let growth = after - before
        print("malformed flood: \(lines) lines, gzip \((try? FileManager.default.attributesOfItem(atPath: body)[.size] as? Int) ?? 0) bytes, "
              + "server peak RSS \(before >> 20) MiB -> \(after >> 20) MiB (+\(growth >> 20) MiB)")
        #expect(before > 0)
        #expect(growth < 200 << 20, "peak RSS grew by \(growth >> 20) MiB")
    }

    @Test("Idempotency-Keys are per agent through HTTP: another agent's key does not swallow a batch, also after a restart")
    func idempotencyPerAgent() throws {
        let dir = temporaryDirectory("idem")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let f = try HTTPFixture(dir: dir, arguments: ["--token", "edge-d=td"])
            let d = try f.post([Lines.agentHealth(agent: "edge-d", seq: 1)], token: "td", key: "edge-paris-01-30-31")
            #expect(d.status == 200, "\(d.body)")
            let real = try f.post([Lines.serviceState(seq: 30, state: "REFUSED"), Lines.agentHealth(seq: 31)], key: "edge-paris-01-30-31")
            #expect(real.status == 200, "\(real.body)")
            let summary = try f.jsonObject(real.body)
            #expect(summary["replayed"] as? Bool == false)
            #expect(summary["accepted"] as? Int == 2)
        }
        let f = try HTTPFixture(dir: dir, inventory: false, arguments: ["--token", "edge-d=td"])
        // Stored scoped: each agent's own key replays after the restart.
        #expect(try f.jsonObject(try f.post([Lines.agentHealth(seq: 31)], key: "edge-paris-01-30-31").body)["replayed"] as? Bool == true)
        #expect(try f.jsonObject(try f.post([Lines.agentHealth(agent: "edge-d", seq: 1)], token: "td", key: "edge-paris-01-30-31").body)["replayed"] as? Bool == true)
    }

    @Test("a token's batch holding another agent's record: 403 naming the line and the agents, nothing applied")
    func foreignAgentRecord() throws {
        let f = try HTTPFixture()
        let r = try f.post([Lines.serviceState(seq: 1, state: "REFUSED"), Lines.serviceState(agent: "edge-lyon-02", seq: 1, state: "UP")])
        #expect(r.status == 403)
        let problem = try f.jsonObject(r.body)
        #expect(problem["line"] as? Int == 2)
        let detail = problem["detail"] as? String ?? ""
        #expect(detail.contains("edge-lyon-02") && detail.contains("edge-paris-01"), "\(detail)")
        #expect(try f.get("/metrics").body.contains("vigie_server_records_ingested_total 0"))
    }

    @Test("a record line above 64 KiB is a malformed line reported by number, not applied")
    func oversizedRecord() throws {
        let f = try HTTPFixture()
        let long = Lines.conn(seq: 2).replacingOccurrences(of: #""uid":"#, with: #""pad":"\#(String(repeating: "p", count: 100_000))","uid":"#)
        let r = try f.post([Lines.conn(seq: 1), long])
        #expect(r.status == 400)
        let problem = try f.jsonObject(r.body)
        #expect(problem["line"] as? Int == 2)
        #expect(problem["accepted"] as? Int == 1)
        #expect((problem["detail"] as? String)?.contains("at most 65536") == true)
        #expect(!(try f.get("/api/v1/flows").body.contains("ppppp")))
    }

    @Test("blank lines do not count against the ingest rate")
    func blankLinesFree() {
        #expect(IngestRateLimiter.lineCount(Array("a\n\n  \n\r\n\t\nb".utf8)) == 2)
        #expect(IngestRateLimiter.lineCount(Array("\n\n\n".utf8)) == 0)
        #expect(IngestRateLimiter.lineCount(Array("{}\n{}\n".utf8)) == 2)
    }

    // MARK: Other routes

    @Test("an empty inventory PUT answers 422 and leaves the inventory; 'nodes: []' replaces it")
    func emptyInventory() throws {
        let f = try HTTPFixture()
        for body in ["", "  \n\t\n"] {
            let r = try f.curl(["-X", "PUT", "-H", "Content-Type: application/yaml", "--data-binary", body], "/api/v1/inventory")
            #expect(r.status == 422, "'\(body)': \(r.body)")
        }
        #expect(try f.get("/api/v1/inventory/nodes/shop").status == 200)
        let explicit = try f.curl(["-X", "PUT", "-H", "Content-Type: application/yaml", "--data-binary", "nodes: []\n"], "/api/v1/inventory")
        #expect(explicit.status == 200, "\(explicit.body)")
        #expect(try f.get("/api/v1/inventory/nodes/shop").status == 404)
    }

    @Test("maintenance: duration_s finite, > 0, <= 366 days; end after start; times within 1970...9999")
    func maintenanceBounds() throws {
        let f = try HTTPFixture()
        for body in [#"{"node":"db","duration_s":1e300}"#, #"{"node":"db","duration_s":-5}"#, #"{"node":"db","duration_s":0}"#,
                     #"{"node":"db","duration_s":31622401}"#, #"{"node":"db","start":"2026-01-02T00:00:00Z","end":"2026-01-01T00:00:00Z"}"#,
                     #"{"node":"db","start":"1969-12-31T23:00:00Z","duration_s":60}"#, #"{"node":"db","start":"9999-12-31T23:59:00Z","duration_s":3600}"#,
                     #"{"node":"db","end":"10000-01-01T00:00:00Z"}"#] {
            let r = try f.curl(["-X", "POST", "-H", "Content-Type: application/json", "--data", body], "/api/v1/maintenance")
            #expect(r.status == 400, "\(body): \(r.body)")
        }
        let ok = try f.curl(["-X", "POST", "-H", "Content-Type: application/json", "--data", #"{"node":"db","duration_s":3600}"#], "/api/v1/maintenance")
        #expect(ok.status == 201, "\(ok.body)")
    }

    @Test("JSON routes need Content-Type application/json (415 for form posts and text/plain); ingest and inventory types")
    func mediaTypes() throws {
        let f = try HTTPFixture()
        let whatif = #"{"node":"db","state":"DOWN"}"#
        for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            let r = try f.curl(["-X", "POST", "-H", "Content-Type: \(type)", "--data", whatif], "/api/v1/whatif")
            #expect(r.status == 415, "\(type): \(r.body)")
        }
        #expect(try f.curl(["-X", "POST", "--data", whatif], "/api/v1/whatif").status == 415)   // curl's default form type
        #expect(try f.curl(["-X", "POST", "-H", "Content-Type: application/json; charset=utf-8", "--data", whatif], "/api/v1/whatif").status == 200)
        for (method, path, body) in [("POST", "/api/v1/acks", #"{"node":"db"}"#), ("POST", "/api/v1/maintenance", #"{"node":"db","duration_s":60}"#),
                                     ("PUT", "/api/v1/inventory/nodes/crm", #"{"kind":"application"}"#),
                                     ("PUT", "/api/v1/inventory/edges", #"{"child":"dns","parent":"web"}"#),
                                     ("POST", "/api/v1/dependencies/1/promote", #"{"parent":"shop"}"#),
                                     ("PUT", "/api/v1/inventory", "nodes: []\n")] {
            let r = try f.curl(["-X", method, "-H", "Content-Type: text/plain", "--data", body], path)
            #expect(r.status == 415, "\(method) \(path): \(r.body)")
        }
        let yaml = try f.curl(["-X", "PUT", "-H", "Content-Type: text/yaml", "--data-binary", shopYAML], "/api/v1/inventory")
        #expect(yaml.status == 200, "\(yaml.body)")
        for type in ["text/plain", "application/octet-stream"] {
            let r = try f.curl(["-X", "POST", "-H", "Content-Type: \(type)", "-H", "Authorization: Bearer t0k3n",
                                "--data-binary", Lines.serviceState(seq: 1, state: "UP")], "/api/v1/ingest")
            #expect(r.status == 415, "\(type)")
        }
        let jsonl = try f.curl(["-X", "POST", "-H", "Content-Type: application/jsonl", "-H", "Authorization: Bearer t0k3n",
                                "--data-binary", Lines.serviceState(seq: 1, state: "UP")], "/api/v1/ingest")
        #expect(jsonl.status == 200, "\(jsonl.body)")
    }

    @Test("HEAD on a GET route answers like GET without a body")
    func head() throws {
        let f = try HTTPFixture()
        for path in ["/api/v1/weather", "/api/v1/inventory", "/metrics", "/api/v1/events"] {
            let r = try f.curl(["-I"], path, maxTime: 5)
            #expect(r.status == 200, "\(path)")
            #expect(r.headers.lowercased().contains("content-type"), "\(path)")
        }
        #expect(try f.curl(["-I"], "/api/v1/nodes/nothing").status == 404)
    }
}
