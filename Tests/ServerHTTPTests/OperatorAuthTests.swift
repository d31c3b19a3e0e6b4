import Foundation
import Testing
import VigieTestSupport
@testable import ServerHTTP

/// `--operator-token` / `--read-token` on the real server: state changes need an operator token,
/// reads stay open unless read tokens are set; agent, operator and read tokens never stand in for
/// one another.
@Suite("vigie-server operator authentication", .serialized, .enabled(if: HTTPFixture.hasTool("curl") && HTTPFixture.hasTool("gzip"), "needs curl and gzip"))
struct OperatorAuthTests {
    /// Every state-changing operator request (method, path, JSON body).
    static let stateChanges: [(String, String, String?)] = [
        ("PUT", "/api/v1/inventory", "nodes: []\nedges: []\n"),
        ("PUT", "/api/v1/inventory/nodes/crm", #"{"kind":"application"}"#),
        ("DELETE", "/api/v1/inventory/nodes/dns", nil),
        ("PUT", "/api/v1/inventory/edges", #"{"child":"dns","parent":"web"}"#),
        ("DELETE", "/api/v1/inventory/edges?child=dns&parent=shop", nil),
        ("POST", "/api/v1/maintenance", #"{"node":"db","duration_s":60}"#),
        ("DELETE", "/api/v1/maintenance/1", nil),
        ("POST", "/api/v1/acks", #"{"node":"db"}"#),
        ("DELETE", "/api/v1/acks/db", nil),
        ("POST", "/api/v1/dependencies/1/confirm", nil),
        ("POST", "/api/v1/dependencies/1/promote", #"{"parent":"shop"}"#),
    ]

    /// `curl` with an optional bearer token: status, body and the WWW-Authenticate header.
    static func call(_ f: HTTPFixture, _ method: String, _ path: String, body: String? = nil, token: String? = nil)
        throws -> (status: Int, body: String, challenge: String?) {
        let headers = f.dir + "/headers-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: headers) }
        var argv = ["curl", "-s", "-D", headers, "-w", "\n%{http_code}", "-X", method]
        if let token { argv += ["-H", "Authorization: Bearer \(token)"] }
        if let body { argv += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let r = try HTTPFixture.run(argv + [f.url(path)])
        let cut = r.stdout.lastIndex(of: "\n") ?? r.stdout.startIndex
        let challenge = ((try? String(contentsOfFile: headers, encoding: .utf8)) ?? "").split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("www-authenticate:") }.map { String($0.dropFirst(17)).trimmingCharacters(in: .whitespaces) }
        return (Int(r.stdout[r.stdout.index(after: cut)...]) ?? 0, String(r.stdout[..<cut]), challenge)
    }

    @Test("--operator-token: state changes without it (or with an agent's token) get 401 problems; reads stay open; the token works")
    func operatorToken() throws {
        let f = try HTTPFixture(arguments: ["--operator-token", "op-s3cret"])
        // A bad node and an observed dependency, so that acks and dependency calls can succeed.
        #expect(try f.post([Lines.serviceState(seq: 1, service: "10.0.0.7:5432/tcp", state: "REFUSED"),
                            Lines.edge(seq: 2, client: "10.0.1.1", service: "10.0.0.9:8080/tcp")]).status == 200)
        for (method, path, body) in Self.stateChanges {
            for token in [nil, "t0k3n", "wrong"] {   // none, the agent's token, an unknown one
                let r = try Self.call(f, method, path, body: body, token: token)
                #expect(r.status == 401, "\(method) \(path) with \(token ?? "no token"): \(r.status) \(r.body)")
                let problem = try? f.jsonObject(r.body)
                #expect(problem?["status"] as? Int == 401 && problem?["title"] as? String == "Unauthorized", "\(method) \(path): \(r.body)")
                #expect(r.challenge?.hasPrefix("Bearer realm=\"vigie\"") == true, "\(method) \(path): WWW-Authenticate \(r.challenge ?? "-")")
            }
        }
        // Nothing changed: the inventory is the shop's, no maintenance, no acknowledgement.
        #expect(try f.get("/api/v1/inventory/nodes/dns").status == 200)
        #expect(try f.get("/api/v1/inventory/nodes/crm").status == 404)
        #expect(try f.get("/api/v1/maintenance").body == "[]")
        #expect(try f.get("/api/v1/acks").body == "[]")
        // Reads and what-if stay open.
        for path in ["/api/v1/weather", "/api/v1/nodes/db", "/api/v1/inventory", "/api/v1/dependencies", "/metrics", "/weather.html"] {
            #expect(try f.get(path).status == 200, "GET \(path)")
        }
        #expect(try Self.call(f, "POST", "/api/v1/whatif", body: #"{"node":"db","state":"OK"}"#).status == 200)
        // The operator token changes state.
        let op = "op-s3cret"
        #expect(try Self.call(f, "PUT", "/api/v1/inventory/nodes/crm", body: #"{"kind":"application"}"#, token: op).status == 200)
        #expect(try Self.call(f, "POST", "/api/v1/maintenance", body: #"{"node":"web","duration_s":60}"#, token: op).status == 201)
        #expect(try Self.call(f, "POST", "/api/v1/acks", body: #"{"node":"db"}"#, token: op).status == 204)
        #expect(try Self.call(f, "POST", "/api/v1/dependencies/1/confirm", token: op).status == 200)
        #expect(try Self.call(f, "DELETE", "/api/v1/maintenance/1", token: op).status == 204)
        #expect(try f.get("/api/v1/inventory/nodes/crm").status == 200)
        // The operator token is not an agent's: ingest refuses it.
        #expect(try f.post([Lines.serviceState(seq: 3, service: "10.0.0.7:5432/tcp", state: "UP")], token: op).status == 401)
    }

    @Test("--read-token: reads need a read or operator token; a read token cannot write (403); agent tokens open nothing")
    func readToken() throws {
        let f = try HTTPFixture(arguments: ["--operator-token", "op-s3cret", "--read-token", "r3ad"])
        for path in ["/api/v1/weather", "/api/v1/nodes/db", "/api/v1/inventory", "/api/v1/agents", "/metrics", "/weather.html"] {
            #expect(try Self.call(f, "GET", path).status == 401, "GET \(path) without a token")
            #expect(try Self.call(f, "GET", path, token: "t0k3n").status == 401, "GET \(path) with the agent's token")
            #expect(try Self.call(f, "GET", path, token: "r3ad").status == 200, "GET \(path) with the read token")
            #expect(try Self.call(f, "GET", path, token: "op-s3cret").status == 200, "GET \(path) with the operator token")
        }
        let whatIf = #"{"node":"db","state":"DOWN"}"#
        #expect(try Self.call(f, "POST", "/api/v1/whatif", body: whatIf).status == 401)
        #expect(try Self.call(f, "POST", "/api/v1/whatif", body: whatIf, token: "r3ad").status == 200)
        let write = try Self.call(f, "PUT", "/api/v1/inventory/nodes/crm", body: #"{"kind":"application"}"#, token: "r3ad")
        #expect(write.status == 403, "\(write.body)")
        #expect(try f.jsonObject(write.body)["status"] as? Int == 403)
        #expect(write.challenge?.contains("insufficient_scope") == true)
        // Ingest keeps its own rule: the agent's token, not the read or operator token.
        #expect(try f.post([Lines.serviceState(seq: 1, state: "UP")]).status == 200)
        #expect(try f.post([Lines.serviceState(seq: 2, state: "UP")], token: "r3ad").status == 401)
    }

    @Test("a token in two roles, an empty token, or read tokens without operator tokens are refused at start")
    func badTokenOptions() throws {
        let dir = Support.temporaryDirectory("auth-options")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cases: [([String], String)] = [
            (["--token", "edge=same", "--operator-token", "same"], "--operator-token: a token is also an agent's --token"),
            (["--token", "edge=same", "--operator-token", "op", "--read-token", "same"], "--read-token: a token is also an agent's --token"),
            (["--operator-token", "op", "--read-token", "op"], "--read-token: a token is also an --operator-token"),
            (["--operator-token", " "], "--operator-token: a token cannot be empty"),
            (["--read-token", "r"], "--read-token needs an --operator-token"),
        ]
        for (arguments, message) in cases {
            let r = try HTTPFixture.runServer(["serve", "--data", dir + "/data", "--listen", "127.0.0.1:1"] + arguments)
            #expect(r.status != 0 && r.stderr.contains(message), "\(arguments): exit \(r.status), \(r.stderr)")
        }
    }
}

/// The classification behind the middleware, without a server.
@Suite("operator access rules")
struct OperatorAccessRuleTests {
    @Test("requests are classified: ingest (agents), reads (GET, HEAD, what-if), everything else operator")
    func classification() {
        typealias A = OperatorAccess
        #expect(A.requirement(method: .post, path: "/api/v1/ingest") == .agent)
        #expect(A.requirement(method: .post, path: "/api/v1/ingest/") == .agent)
        #expect(A.requirement(method: .get, path: "/api/v1/weather") == .read)
        #expect(A.requirement(method: .head, path: "/weather.html") == .read)
        // The console's page and files: open, or nobody could reach its login form.
        #expect(A.requirement(method: .head, path: "/") == .console)
        #expect(A.requirement(method: .post, path: "/api/v1/whatif") == .read)
        #expect(A.requirement(method: .post, path: "/api/v1/acks") == .operate)
        #expect(A.requirement(method: .patch, path: "/api/v1/inventory") == .operate)
        #expect(A.requirement(method: .delete, path: "/api/v1/maintenance/3") == .operate)
        #expect(A.requirement(method: .post, path: "/api/v1/whatif/../acks") == .operate)
    }

    @Test("bearer tokens: scheme case-insensitive, surrounding blanks ignored, others rejected")
    func bearer() {
        #expect(OperatorAccess.bearer("Bearer abc") == "abc")
        #expect(OperatorAccess.bearer("bearer  abc ") == "abc")
        #expect(OperatorAccess.bearer("Basic abc") == nil)
        #expect(OperatorAccess.bearer("Bearer ") == nil)
        #expect(OperatorAccess.bearer(nil) == nil)
        #expect(OperatorAccess.contains(["abc", "xyz"], "xyz"))
        #expect(!OperatorAccess.contains(["abc"], "ab"))
        #expect(!OperatorAccess.contains(["abc"], "abcd"))
        let access = OperatorAccess(operatorTokens: ["op"], readTokens: ["rd"])
        #expect(access.denial(method: .put, path: "/api/v1/inventory", authorization: "Bearer op") == nil)
        #expect(access.denial(method: .put, path: "/api/v1/inventory", authorization: "Bearer rd")?.status == .forbidden)
        #expect(access.denial(method: .get, path: "/api/v1/weather", authorization: "Bearer rd") == nil)
        #expect(access.denial(method: .get, path: "/api/v1/weather", authorization: nil)?.status == .unauthorized)
        #expect(access.denial(method: .post, path: "/api/v1/ingest", authorization: nil) == nil)
    }
}
