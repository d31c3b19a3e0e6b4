import Foundation
import Testing
import VigieTestSupport

/// A real `vigie-agent serve` on loopback over a generated store, with a token file holding one
/// `read` token (the API then asks every caller for it). Shared by the method and schemathesis tests.
final class TokenAgent {
    let token: String
    let process: AgentServeProcess
    var dir: String { process.dir }
    var store: String { process.store }
    var port: Int { process.port }
    var server: Process { process.server }

    init() throws {
        let token = "read-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        self.token = token
        process = try AgentServeProcess(tag: "tokenapi") { store, dir in
            try Support.generatedStore(store, in: dir)
            let tokens = dir + "/tokens"
            // The agent refuses a token file other users can read.
            #expect(FileManager.default.createFile(atPath: tokens, contents: Data("read tester \(token)\n".utf8),
                                                   attributes: [.posixPermissions: 0o600]))
            return ["--token-file", tokens]
        }
    }

    var authorization: String { "Authorization: Bearer \(token)" }

    func url(_ path: String) -> String { process.url(path) }

    /// Status, headers (lowercased names) and body of a request made with the token.
    func request(_ method: String, _ path: String, auth: Bool = true) throws -> (status: Int, headers: [String: String], body: String) {
        var argv = ["curl", "-s", "-i", "--max-time", "20", "-X", method]
        if method == "HEAD" { argv = ["curl", "-s", "-I", "--max-time", "20"] }
        if auth { argv += ["-H", authorization] }
        let r = try Support.run(argv + [url(path)])
        let parts = r.stdout.components(separatedBy: "\r\n\r\n")
        let head = parts.first?.components(separatedBy: "\r\n") ?? []
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let status = head.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        return (status, headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// Threads of the agent process (Linux).
    var threads: Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.processIdentifier)/task").count) ?? 0 }
}

/// HEAD and undeclared methods. A HEAD of `/api/v1/packets` used to start a query whose thread then
/// waited forever for a reader (one leaked thread per request) and answered `Content-Length: 0`;
/// other methods answered 404 instead of 405 (found by schemathesis); problem titles were empty.
@Suite("Agent API: methods", .serialized, .enabled(if: Support.hasTool("curl"), "needs curl"))
struct APIMethodTests {
    @Test("HEAD of /api/v1/packets validates the request, runs no query and leaks no thread")
    func headRunsNoQuery() throws {
        let f = try TokenAgent()
        let before = f.threads
        for _ in 0..<30 {
            let r = try f.request("HEAD", "/api/v1/packets?q=tcp&limit=5")
            #expect(r.status == 200)
            #expect(r.headers["content-type"] == "application/vnd.tcpdump.pcap")
        }
        usleep(300_000)
        #expect(f.threads < before + 10, "\(f.threads - before) threads more after 30 HEADs")
        // Validation still happens: a bad limit or query is 400, a missing token 401.
        #expect(try f.request("HEAD", "/api/v1/packets?limit=0").status == 400)
        #expect(try f.request("HEAD", "/api/v1/packets?q=hots+1.2.3.4").status == 400)
        #expect(try f.request("HEAD", "/api/v1/packets", auth: false).status == 401)
        // HEAD of a JSON route sends GET's length, and no body; GET still extracts.
        let head = try f.request("HEAD", "/api/v1/segments"), get = try f.request("GET", "/api/v1/segments")
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(head.headers["content-length"] == String(get.body.utf8.count))
        let pcap = try Support.run(["sh", "-c", "curl -s -H '\(f.authorization)' '\(f.url("/api/v1/packets?limit=3"))' | wc -c"])
        #expect(Int(pcap.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 > 24)
        #expect(f.server.isRunning)
    }

    @Test("HEAD then GET on one keep-alive connection: the HEAD answer carries no body bytes")
    func headFramingOnKeepAlive() throws {
        let f = try TokenAgent()
        let url = f.url("/api/v1/packets?limit=1")
        // curl reuses the connection for the second URL; a stray body after the HEAD would corrupt it.
        let r = try Support.run(["curl", "-s", "-H", f.authorization, "-I", url, "--next", "-s", "-H", f.authorization,
                                 "-o", "/dev/null", "-w", "%{http_code} %{num_connects} %{size_download}", url])
        let fields = r.stdout.split(whereSeparator: \.isNewline).last?.split(separator: " ") ?? []
        #expect(fields.first == "200", "\(r.stdout)")
        #expect(fields.dropFirst().first == "0", "the second request opened a new connection: \(r.stdout)")
        #expect(Int(fields.last ?? "") ?? 0 > 24)
    }

    @Test("methods other than GET and HEAD answer 405 with Allow; problems have titles")
    func otherMethods() throws {
        let f = try TokenAgent()
        for path in ["/api/v1/packets", "/api/v1/segments", "/api/v1/status", "/metrics", "/healthz", "/readyz", "/api/v1/segments/"] {
            for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
                let r = try f.request(method, path)
                #expect(r.status == 405, "\(method) \(path): \(r.status)")
                #expect(r.headers["allow"] == "GET, HEAD", "\(method) \(path)")
                #expect(r.headers["content-type"] == "application/problem+json")
                #expect(r.body.contains("\"title\":\"Method Not Allowed\""), "\(r.body)")
            }
        }
        #expect(try f.request("POST", "/nowhere").status != 405)
        let unauthorized = try f.request("GET", "/api/v1/status", auth: false)
        #expect(unauthorized.status == 401 && unauthorized.body.contains("\"title\":\"Unauthorized\""), "\(unauthorized.body)")
        #expect(unauthorized.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
    }
}
