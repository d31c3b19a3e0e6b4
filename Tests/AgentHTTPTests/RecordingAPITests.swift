import Foundation
import PcapKit
import Testing
import VigieTestSupport

/// `/api/v1/recordings` on a real `vigie-agent serve`: create, list, cancel (and purge), export as
/// pcap (compared with tcpdump's selection of the replayed capture), roles, and refusals that name
/// the bad field.
@Suite("Agent API: planned recordings", .serialized,
       .enabled(if: Support.hasTool("curl") && Support.hasTool("tcpdump"), "needs curl and tcpdump"))
struct RecordingAPITests {
    static let readToken = "r34d-t0ken-0123456789abcdef"
    static let operatorToken = "0per-t0ken-0123456789abcdef"
    static let drillToken = "dr1ll-t0ken-fedcba9876543210"

    final class Agent {
        let dir = Support.temporaryDirectory("rec-api")
        var store: String { dir + "/s" }
        var log: String { dir + "/agent.log" }
        let port = TestPorts.unused()
        lazy var server = ListeningProcess(log: log)
        let input: String

        /// A store filled by `ingest` of a generated capture, with the recording `udp-all` (every
        /// UDP packet) made while replaying it.
        init() throws {
            let gen = URL(fileURLWithPath: Support.agentBinary).deletingLastPathComponent().appendingPathComponent("vigie-gen").path
            input = dir + "/g.pcap"
            #expect(try Support.run([gen, "-o", input, "--packets", "2000"]).status == 0)
            try """
                store: \(dir)/s
                analytics: {enabled: false}
                recordings:
                  - {id: udp-all, start: '2000-01-01T00:00:00Z', end: '2100-01-01T00:00:00Z', filter: udp, quota: 64MiB}
                """.write(toFile: dir + "/agent.yaml", atomically: true, encoding: .utf8)
            let ing = try Support.run([Support.agentBinary, "ingest", "--config", dir + "/agent.yaml", "--no-progress", input])
            #expect(ing.status == 0, "\(ing.stderr)")
            let tokens = dir + "/tokens"
            try """
                read alice \(RecordingAPITests.readToken)
                operator olga \(RecordingAPITests.operatorToken)
                drilldown vigie-server \(RecordingAPITests.drillToken)

                """.write(toFile: tokens, atomically: true, encoding: .utf8)
            chmod(tokens, 0o600)
            let (started, text) = try server.start(Support.agentBinary, ["serve", "--store", store, "--listen", "127.0.0.1:\(port)",
                                                                        "--log-level", "info", "--token-file", tokens])
            #expect(started, "\(text)")
        }

        deinit {
            server.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// Status and body of a request (`token` nil: none).
        func call(_ method: String, _ path: String, token: String?, json: String? = nil, output: String? = nil) throws -> (status: Int, body: String) {
            let out = output ?? dir + "/body"
            var argv = ["curl", "-s", "-o", out, "-w", "%{http_code}", "--max-time", "20", "-X", method]
            if let token { argv += ["-H", "Authorization: Bearer \(token)"] }
            if let json { argv += ["-H", "Content-Type: application/json", "--data-binary", json] }
            let r = try Support.run(argv + ["http://127.0.0.1:\(port)\(path)"])
            let body = output == nil ? ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "") : ""
            return (Int(r.stdout) ?? 0, body)
        }

        func list(_ token: String) throws -> [[String: Any]] {
            let r = try call("GET", "/api/v1/recordings", token: token)
            #expect(r.status == 200, "\(r.body)")
            return (try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [[String: Any]]) ?? []
        }
    }

    /// Packets of a capture file as (time, original length, bytes), time-ordered.
    static func packets(_ path: String) throws -> [String] {
        let r = try CaptureFileReader(path: path)
        var out: [String] = []
        while case .packet(let h, let b) = try r.next() {
            out.append("\(h.timestampNanos) \(h.originalLength) " + b.map { String($0, radix: 16) }.joined(separator: ":"))
        }
        return out.sorted()
    }

    static let definition = #"{"id": "web", "start": "2026-06-01T00:00:00Z", "end": "2026-06-01T01:00:00Z", "repeat": "daily", "filter": "tcp port 80", "snaplen": 128, "index_fields": ["http.host"], "quota": "1GiB", "retention": "ring"}"#

    @Test("create, list, export, cancel and purge; roles; bad definitions name the field")
    func lifecycle() throws {
        let a = try Agent()
        // The recording made during the replay: listed with what it holds, exported equal to tcpdump's 'udp'.
        let listed = try a.list(Self.readToken)
        let udp = try #require(listed.first { $0["id"] as? String == "udp-all" })
        #expect(udp["state"] as? String == "recording")
        let reference = a.dir + "/udp.pcap"
        #expect(try Support.run(["tcpdump", "--time-stamp-precision=nano", "-r", a.input, "-w", reference, "udp"]).status == 0)
        let want = try Self.packets(reference)
        #expect(want.count > 10)
        #expect(udp["packets"] as? Int == want.count)
        #expect((udp["segments"] as? Int ?? 0) >= 1 && (udp["bytes"] as? Int ?? 0) > 24)
        let exported = a.dir + "/export.pcap"
        #expect(try a.call("GET", "/api/v1/recordings/udp-all/packets", token: Self.readToken, output: exported).status == 200)
        #expect(try Self.packets(exported) == want)
        // A query narrows it, as on /api/v1/packets.
        let dns = a.dir + "/dns.pcap", dnsRef = a.dir + "/dns-ref.pcap"
        #expect(try a.call("GET", "/api/v1/recordings/udp-all/packets?q=port%2053", token: Self.readToken, output: dns).status == 200)
        #expect(try Support.run(["tcpdump", "--time-stamp-precision=nano", "-r", a.input, "-w", dnsRef, "udp and port 53"]).status == 0)
        #expect(try Self.packets(dns) == Self.packets(dnsRef))
        #expect(try a.call("GET", "/api/v1/recordings/nope/packets", token: Self.readToken).status == 404)

        // Roles: no token 401; read may not change; operator may change but not read packets.
        #expect(try a.call("POST", "/api/v1/recordings", token: nil, json: Self.definition).status == 401)
        #expect(try a.call("POST", "/api/v1/recordings", token: Self.readToken, json: Self.definition).status == 403)
        #expect(try a.call("GET", "/api/v1/recordings/udp-all/packets", token: Self.operatorToken).status == 401)
        #expect(try a.call("GET", "/api/v1/packets?q=udp", token: Self.operatorToken).status == 401)
        let created = try a.call("POST", "/api/v1/recordings", token: Self.operatorToken, json: Self.definition)
        #expect(created.status == 201, "\(created.body)")
        #expect(created.body.contains(#""state":"scheduled""#) && created.body.contains(#""repeat":"daily""#), "\(created.body)")
        #expect(try a.call("POST", "/api/v1/recordings", token: Self.operatorToken, json: Self.definition).status == 409)
        let web = try #require(try a.list(Self.operatorToken).first { $0["id"] as? String == "web" })
        #expect(web["quota"] as? Int == 1 << 30 && web["snaplen"] as? Int == 128 && web["packets"] as? Int == 0)

        // Bad definitions: 400 naming the field.
        let bad: [(String, String)] = [
            (#"{"id": "x1", "start": "2026-06-01T00:00:00Z", "end": "2026-06-01T01:00:00Z", "quota": "1GiB", "filter": "tcp portt 80"}"#, "'filter'"),
            (#"{"id": "x2", "start": "2026-06-01T00:00:00Z", "end": "2026-06-01T01:00:00Z", "quota": "1GiB", "index_fields": ["nope"]}"#, "'index_fields'"),
            (#"{"id": "x3", "start": "2026-06-01T02:00:00Z", "end": "2026-06-01T01:00:00Z", "quota": "1GiB"}"#, "'end'"),
            (#"{"id": "x4", "start": "2026-06-01T00:00:00Z", "end": "2026-06-01T01:00:00Z", "quota": "1000TiB"}"#, "'quota'"),
            (#"{"id": "x5", "start": "2026-06-01T00:00:00Z", "end": "2026-06-01T01:00:00Z", "quota": "1GiB", "colour": "red"}"#, "'colour'"),
            (#"{"id": "../x", "start": "2026-06-01T00:00:00Z", "end": "2026-06-01T01:00:00Z", "quota": "1GiB"}"#, "'id'"),
            (#"{"id": "x6", "start": "2026-06-01T00:00:00Z", "end": "2026-06-01T01:00:00Z", "quota": true}"#, "'quota'"),
            (#"[1, 2]"#, "body"),
        ]
        for (json, field) in bad {
            let r = try a.call("POST", "/api/v1/recordings", token: Self.drillToken, json: json)
            #expect(r.status == 400, "\(json): \(r.status) \(r.body)")
            #expect(r.body.contains(field), "\(json): \(r.body)")
        }

        // Cancel: read may not; drilldown may; the data stays. Purge deletes it (no capture holds it).
        #expect(try a.call("DELETE", "/api/v1/recordings/web", token: Self.readToken).status == 403)
        let cancelled = try a.call("DELETE", "/api/v1/recordings/web", token: Self.drillToken)
        #expect(cancelled.status == 200 && cancelled.body.contains(#""state":"cancelled""#), "\(cancelled.body)")
        #expect(try a.list(Self.readToken).first { $0["id"] as? String == "web" }?["state"] as? String == "cancelled")
        #expect(try a.call("DELETE", "/api/v1/recordings/missing", token: Self.operatorToken).status == 404)
        #expect(FileManager.default.fileExists(atPath: a.store + "/recordings/udp-all/segments"))
        #expect(try a.call("DELETE", "/api/v1/recordings/udp-all?purge=true", token: Self.operatorToken).status == 200)
        #expect(!FileManager.default.fileExists(atPath: a.store + "/recordings/udp-all"))
        #expect(try a.list(Self.readToken).map { $0["id"] as? String } == ["web"])
        // Other methods on the collection are still 405.
        #expect(try a.call("PUT", "/api/v1/recordings", token: Self.operatorToken, json: "{}").status == 405)
        #expect(try a.call("GET", "/api/v1/recordings/web", token: Self.readToken).status == 405)
        #expect(try a.call("POST", "/api/v1/recordings/web/packets", token: Self.drillToken, json: "{}").status == 405)
        let allow = try Support.run(["curl", "-s", "-i", "-X", "PATCH", "http://127.0.0.1:\(a.port)/api/v1/recordings"]).stdout
        #expect(allow.lowercased().contains("allow: get, head, post"), "\(allow)")

        a.server.stop()
        let log = try String(contentsOfFile: a.log, encoding: .utf8)
        let audit = log.split(separator: "\n").filter { $0.contains("recording change") }
        #expect(audit.contains { $0.contains("who=olga") && $0.contains("action=create") && $0.contains("recording=web") && $0.contains("outcome=created") })
        #expect(audit.contains { $0.contains("who=vigie-server") && $0.contains("action=cancel") && $0.contains("recording=web") })
        #expect(audit.contains { $0.contains("who=alice") && $0.contains("refused: role") })
        #expect(audit.contains { $0.contains("who=olga") && $0.contains("action=cancel+purge") && $0.contains("recording=udp-all") })
    }
}
