import Foundation
import Testing
import VigieTestSupport
@testable import Correlation

/// Starts the real `vigie-server serve` and talks to it with curl (an independent client), posting
/// gzip NDJSON batches shaped exactly like the agent's HTTP sink does.
@Suite("vigie-server HTTP API", .serialized, .enabled(if: HTTPFixture.hasTool("curl") && HTTPFixture.hasTool("gzip"), "needs curl and gzip"))
struct ServerHTTPTests {
    @Test("gzip NDJSON batch → weather; Idempotency-Key replay; node detail; metrics; HTML page")
    func ingestAndWeather() throws {
        let f = try HTTPFixture()
        let batch = [Lines.serviceSeen(seq: 2), Lines.serviceState(seq: 15, state: "DEGRADED"),
                     Lines.serviceState(seq: 16, service: "10.0.0.7:5432/tcp", state: "UP"), Lines.edge(seq: 24), Lines.agentHealth(seq: 25),
                     Lines.conn(seq: 1)]
        let r = try f.post(batch, key: "edge-paris-01-1-25")
        #expect(r.status == 200, "\(r.body)")
        let summary = try f.jsonObject(r.body)
        #expect(summary["accepted"] as? Int == 6)
        // Same Idempotency-Key: answered 200, nothing reapplied.
        let again = try f.post(batch, key: "edge-paris-01-1-25")
        #expect(again.status == 200)
        #expect(try f.jsonObject(again.body)["replayed"] as? Bool == true)

        let weather = try f.jsonObject(try f.get("/api/v1/weather").body)
        let nodes = try #require(weather["nodes"] as? [[String: Any]])
        let shop = try #require(nodes.first { $0["id"] as? String == "shop" })
        #expect(shop["state"] as? String == "DEGRADED")
        #expect(shop["root_causes"] as? [String] == ["10.0.0.5:443/tcp"])
        let node = try f.get("/api/v1/nodes/10.0.0.5:443/tcp")
        #expect(node.status == 200)
        let detail = try f.jsonObject(node.body)
        #expect((detail["status"] as? [String: Any])?["state"] as? String == "DEGRADED")
        #expect((detail["history"] as? [Any])?.isEmpty == false)
        #expect(try f.get("/api/v1/nodes/nothing").status == 404)
        let metrics = try f.get("/metrics").body
        #expect(metrics.contains("vigie_server_records_ingested_total 6"))
        #expect(metrics.contains("vigie_server_batches_replayed_total 1"))
        let deps = try JSONSerialization.jsonObject(with: Data(try f.get("/api/v1/dependencies").body.utf8)) as? [[String: Any]]
        #expect(deps?.first?["status"] as? String == "new")
        let html = try f.get("/weather.html").body
        #expect(html.contains("<table>") && html.contains("Web shop"))
    }

    @Test("a malformed line answers 400 naming the line; a bad token 401; a huge body 413")
    func errors() throws {
        let f = try HTTPFixture(maxBody: 200_000)
        let r = try f.post([Lines.serviceState(seq: 1, state: "UP"), "{\"schema_version\":1,\"kind\":", Lines.serviceState(seq: 2, state: "UP")])
        #expect(r.status == 400)
        let problem = try f.jsonObject(r.body)
        #expect(problem["status"] as? Int == 400)
        #expect(problem["line"] as? Int == 2)
        #expect(problem["accepted"] as? Int == 2)
        #expect((problem["detail"] as? String)?.contains("line 2") == true)
        let bad = try f.post([Lines.serviceState(seq: 3, state: "UP")], token: "wrong")
        #expect(bad.status == 401)
        #expect(try f.jsonObject(bad.body)["status"] as? Int == 401)
        // Another agent's records with this agent's token: the batch is refused.
        #expect(try f.post([Lines.serviceState(agent: "edge-lyon-02", seq: 1, state: "UP")]).status == 403)
        // 413: a body above the limit (random bytes do not compress).
        let big = f.dir + "/big.bin"
        _ = FileManager.default.createFile(atPath: big, contents: Data((0..<300_000).map { _ in UInt8.random(in: 0...255) }))
        let tooBig = try HTTPFixture.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer t0k3n",
                                          "-H", "Content-Type: application/x-ndjson", "--data-binary", "@" + big, f.url("/api/v1/ingest")])
        #expect(tooBig.stdout == "413")
    }

    @Test("inventory edits: a cycle answers 409 with a problem naming it; what-if")
    func inventoryAndWhatIf() throws {
        let f = try HTTPFixture()
        let cycle = try HTTPFixture.run(["curl", "-s", "-w", "\n%{http_code}", "-X", "PUT", "-H", "Content-Type: application/json",
                                         "--data", #"{"child":"shop","parent":"db"}"#, f.url("/api/v1/inventory/edges")])
        let parts = cycle.stdout.split(separator: "\n")
        #expect(parts.last == "409")
        let problem = try f.jsonObject(String(parts.first!))
        #expect((problem["cycle"] as? [String])?.contains("shop") == true)
        let invalid = try HTTPFixture.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Content-Type: application/json",
                                           "--data", #"{"kind":"service","reduce":"median"}"#,
                                           f.url("/api/v1/inventory/nodes/crm")])
        #expect(invalid.stdout == "422")
        let ok = try HTTPFixture.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H", "Content-Type: application/json",
                                      "--data", #"{"kind":"application"}"#,
                                      f.url("/api/v1/inventory/nodes/crm")])
        #expect(ok.stdout == "200")
        _ = try f.post([Lines.serviceState(seq: 1, service: "10.0.0.7:5432/tcp", state: "UP")])
        let w = try HTTPFixture.run(["curl", "-s", "-X", "POST", "-H", "Content-Type: application/json", "--data", #"{"node":"10.0.0.7:5432/tcp","state":"DOWN"}"#, f.url("/api/v1/whatif")])
        let nodes = try #require(try f.jsonObject(w.stdout)["nodes"] as? [[String: Any]])
        #expect(nodes.first { $0["id"] as? String == "db" }?["state"] as? String == "DOWN")
        let live = try #require(try f.jsonObject(try f.get("/api/v1/weather").body)["nodes"] as? [[String: Any]])
        #expect(live.first { $0["id"] as? String == "db" }?["state"] as? String == "OK")
        #expect(try f.get("/api/v1/inventory?format=yaml").body.contains("kind: application"))
    }

    @Test("restart: state, dedup marks and Idempotency-Keys come back from SQLite; dependency confirm and promote")
    func restart() throws {
        let dir = Support.temporaryDirectory("restart")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let f = try HTTPFixture(dir: dir)
            #expect(try f.post([Lines.serviceState(seq: 1, service: "10.0.0.7:5432/tcp", state: "UNREACHABLE"),
                                Lines.edge(seq: 2, client: "10.0.1.1", service: "10.0.0.9:8080/tcp")], key: "edge-paris-01-1-2").status == 200)
            let confirm = try HTTPFixture.run(["curl", "-s", "-X", "POST", f.url("/api/v1/dependencies/1/confirm")])
            #expect(try f.jsonObject(confirm.stdout)["status"] as? String == "confirmed")
            let promote = try HTTPFixture.run(["curl", "-s", "-X", "POST", "-H", "Content-Type: application/json", "--data", #"{"parent":"shop"}"#, f.url("/api/v1/dependencies/1/promote")])
            #expect(try f.jsonObject(promote.stdout)["promoted"] as? Bool == true)
        }
        let f = try HTTPFixture(dir: dir, inventory: false)
        let shop = try #require((try f.jsonObject(try f.get("/api/v1/weather").body)["nodes"] as? [[String: Any]])?.first { $0["id"] as? String == "shop" })
        #expect(shop["state"] as? String == "DOWN")
        #expect(try f.get("/api/v1/inventory/nodes/10.0.0.9:8080/tcp").status == 200)   // the promotion survived
        let replay = try f.post([Lines.serviceState(seq: 1, service: "10.0.0.7:5432/tcp", state: "UP")], key: "edge-paris-01-1-2")
        #expect(try f.jsonObject(replay.body)["replayed"] as? Bool == true)
        let dup = try f.post([Lines.serviceState(seq: 1, service: "10.0.0.7:5432/tcp", state: "UP")])
        #expect(try f.jsonObject(dup.body)["duplicates"] as? Int == 1)
        let fresh = try f.post([Lines.serviceState(seq: 3, service: "10.0.0.7:5432/tcp", state: "UP")])
        #expect(try f.jsonObject(fresh.body)["accepted"] as? Int == 1)
        let after = try #require((try f.jsonObject(try f.get("/api/v1/weather").body)["nodes"] as? [[String: Any]])?.first { $0["id"] as? String == "shop" })
        #expect(after["state"] as? String == "OK")
    }

    @Test("Server-Sent Events deliver a state change")
    func events() throws {
        let f = try HTTPFixture()
        let sse = Process()
        sse.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sse.arguments = ["curl", "-s", "-N", "--max-time", "4", f.url("/api/v1/events")]
        let pipe = Pipe()
        sse.standardOutput = pipe
        try sse.run()
        usleep(800_000)
        _ = try f.post([Lines.serviceState(seq: 1, service: "10.0.0.7:5432/tcp", state: "REFUSED")])
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        sse.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("event: state"))
        let dbEvent = text.split(separator: "\n").first { $0.hasPrefix("data: ") && $0.contains("\"node\":\"db\"") }
        #expect(dbEvent?.contains("\"state\":\"DOWN\"") == true, "\(text)")
    }
}
