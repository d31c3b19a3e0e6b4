import Foundation
import Testing
import VigieTestSupport

/// The pin API of a real `vigie-agent serve`, driven by curl: list, create, extend, release; role
/// checks; bad input answers 400 naming the field; every change in the audit log.
@Suite("Pin API", .serialized, .enabled(if: Support.hasTool("curl"), "needs curl"))
struct PinAPITests {
    static let readToken = "r34d-p1n-t0ken-0123456789abcdef"
    static let operatorToken = "0p3r-p1n-t0ken-0123456789abcdef"
    static let drillToken = "dr1ll-p1n-t0ken-fedcba9876543210"

    final class Agent {
        let dir = Support.temporaryDirectory("pinapi")
        var store: String { dir + "/s" }
        var log: String { dir + "/agent.log" }
        let port = TestPorts.unused()
        lazy var server = ListeningProcess(log: log)

        init() throws {
            try Support.generatedStore(store, in: dir)
            let tokens = dir + "/tokens"
            try "read alice \(PinAPITests.readToken)\noperator olga \(PinAPITests.operatorToken)\ndrilldown vigie-server \(PinAPITests.drillToken)\n"
                .write(toFile: tokens, atomically: true, encoding: .utf8)
            chmod(tokens, 0o600)
            let started = try server.start(Support.agentBinary, ["serve", "--store", store, "--listen", "127.0.0.1:\(port)",
                                                                "--log-level", "info", "--token-file", tokens])
            try #require(started.started, "serve: \(started.log)")
        }

        deinit {
            server.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// Status and body of a request with `token` (nil: none).
        func call(_ method: String, _ path: String, token: String?, body: String? = nil) throws -> (status: Int, json: Any?) {
            var args = ["curl", "-s", "-X", method, "-w", "\n%{http_code}", "--max-time", "10"]
            if let token { args += ["-H", "Authorization: Bearer \(token)"] }
            if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
            let r = try Support.run(args + ["http://127.0.0.1:\(port)\(path)"])
            let parts = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let status = Int(parts.last ?? "") ?? 0
            let text = parts.dropLast().joined(separator: "\n")
            return (status, try? JSONSerialization.jsonObject(with: Data(text.utf8)))
        }
    }

    static func detail(_ json: Any?) -> String { (json as? [String: Any])?["detail"] as? String ?? "" }

    @Test("list, create, extend, release; read tokens may only list; bad input is 400 naming the field")
    func lifecycle() throws {
        let a = try Agent()
        let empty = try a.call("GET", "/api/v1/pins", token: Self.readToken)
        #expect(empty.status == 200)
        #expect(((empty.json as? [String: Any])?["pins"] as? [Any])?.isEmpty == true)

        let body = #"{"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", "reason": "server: shop DOWN", "service": "172.16.0.1:80/tcp"}"#
        #expect(try a.call("POST", "/api/v1/pins", token: nil, body: body).status == 401)
        #expect(try a.call("POST", "/api/v1/pins", token: Self.readToken, body: body).status == 403)
        #expect(try a.call("GET", "/api/v1/segments", token: Self.operatorToken).status == 401, "operator tokens only reach pins")

        let created = try a.call("POST", "/api/v1/pins", token: Self.drillToken, body: body)
        #expect(created.status == 201)
        let pin = try #require(created.json as? [String: Any])
        let id = try #require(pin["id"] as? String)
        #expect(pin["origin"] as? String == "server" && pin["service"] as? String == "172.16.0.1:80/tcp")
        #expect(pin["from"] as? Int64 == 946_684_800_000_000_000)
        let byOperator = try a.call("POST", "/api/v1/pins", token: Self.operatorToken,
                                    body: #"{"from": 1000, "to": 2000, "reason": "by hand"}"#)
        #expect(byOperator.status == 201)
        let id2 = try #require((byOperator.json as? [String: Any])?["id"] as? String)
        #expect((byOperator.json as? [String: Any])?["origin"] as? String == "api")

        // Bad input: 400, the problem names the field.
        for (text, field) in [("not json", "body"), (#"{"to": 5, "reason": "x"}"#, "'from'"), (#"{"from": true, "to": 5, "reason": "x"}"#, "'from'"),
                              (#"{"from": 9, "to": 5, "reason": "x"}"#, "'to'"), (#"{"from": 1, "to": 5}"#, "'reason'"),
                              (#"{"from": "yesterday-ish", "to": 5, "reason": "x"}"#, "'from'"), (#"{"from": 1, "to": 1.5, "reason": "x"}"#, "'to'"),
                              (#"{"from": 1, "to": 5, "reason": "x", "service": 7}"#, "'service'"), ("[1,2]", "body")] {
            let r = try a.call("POST", "/api/v1/pins", token: Self.operatorToken, body: text)
            #expect(r.status == 400, "\(text) -> \(r.status)")
            #expect(Self.detail(r.json).contains(field), "\(text) -> \(Self.detail(r.json))")
        }

        // Extend: later only; unknown ids are 404; read tokens refused.
        #expect(try a.call("POST", "/api/v1/pins/\(id2)/extend", token: Self.readToken, body: #"{"to": 3000}"#).status == 403)
        let extended = try a.call("POST", "/api/v1/pins/\(id2)/extend", token: Self.operatorToken, body: #"{"to": 3000}"#)
        #expect(extended.status == 200 && (extended.json as? [String: Any])?["to"] as? Int64 == 3000)
        let earlier = try a.call("POST", "/api/v1/pins/\(id2)/extend", token: Self.operatorToken, body: #"{"to": 2500}"#)
        #expect(earlier.status == 400 && Self.detail(earlier.json).contains("'to'"))
        #expect(try a.call("POST", "/api/v1/pins/ffffffffffffffff/extend", token: Self.operatorToken, body: #"{"to": 3000}"#).status == 404)

        // The list shows what each pin holds: the first covers the whole store.
        let list = try a.call("GET", "/api/v1/pins", token: Self.readToken)
        let pins = try #require((list.json as? [String: Any])?["pins"] as? [[String: Any]])
        #expect(Set(pins.compactMap { $0["id"] as? String }) == [id, id2])
        let catalog = try #require(try a.call("GET", "/api/v1/segments", token: Self.readToken).json as? [[String: Any]])
        let whole = try #require(pins.first { $0["id"] as? String == id })
        #expect(whole["segments"] as? Int == catalog.count && catalog.count > 0)
        #expect(whole["bytes"] as? Int == catalog.reduce(0) { $0 + ($1["bytes"] as? Int ?? 0) })
        #expect(pins.first { $0["id"] as? String == id2 }?["segments"] as? Int == 0)

        // Release: read refused, then gone from the list; twice is 404.
        #expect(try a.call("DELETE", "/api/v1/pins/\(id)", token: Self.readToken).status == 403)
        #expect(try a.call("DELETE", "/api/v1/pins/\(id)", token: Self.operatorToken).status == 200)
        #expect(try a.call("DELETE", "/api/v1/pins/\(id)", token: Self.operatorToken).status == 404)
        let after = try #require((try a.call("GET", "/api/v1/pins", token: Self.readToken).json as? [String: Any])?["pins"] as? [[String: Any]])
        #expect(after.compactMap { $0["id"] as? String } == [id2])
        #expect(try a.call("PUT", "/api/v1/pins", token: Self.operatorToken, body: "{}").status == 405)

        a.server.stop()
        let log = try String(contentsOfFile: a.log, encoding: .utf8).split(separator: "\n")
        #expect(log.contains { $0.contains("pin created") && $0.contains("who=vigie-server") && $0.contains(id) })
        #expect(log.contains { $0.contains("pin extended") && $0.contains("who=olga") && $0.contains(id2) })
        #expect(log.contains { $0.contains("pin released") && $0.contains("who=olga") && $0.contains(id) })
        #expect(log.contains { $0.contains("pin change refused") && $0.contains("ffffffffffffffff") })
    }
}
