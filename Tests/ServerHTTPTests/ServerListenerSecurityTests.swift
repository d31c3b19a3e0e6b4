import Foundation
import Testing
import VigieTestSupport

/// The server's listener as an attacker on the network meets it: a token file with named roles,
/// closed by default on a non-loopback listener, secure-by-default listening, TLS with certificates
/// made by openssl, token rotation on SIGHUP, and the connection limits. Loopback only (a listener
/// bound to 0.0.0.0 is only ever called on 127.0.0.1).
@Suite("vigie-server listener: token file, TLS, closed by default, limits", .serialized,
       .enabled(if: HTTPFixture.hasTool("curl") && HTTPFixture.hasTool("openssl") && HTTPFixture.hasTool("python3"), "needs curl, openssl and python3"))
struct ServerListenerSecurityTests {
    static let agentToken = "agent-t0ken-paris-0123456789"
    static let readToken = "r34d-t0ken-alice-0123456789"
    static let operatorToken = "0p3r4t0r-t0ken-bob-01234567"

    final class Server {
        let dir = Support.temporaryDirectory("listener")
        let port = TestPorts.unused()
        var tokens: String { dir + "/tokens" }
        var pki: String { dir + "/pki" }
        var log: String { dir + "/server.log" }
        lazy var server = ListeningProcess(log: log)
        var process: Process? { server.process }

        init() throws {
            try shopYAML.write(toFile: dir + "/inventory.yaml", atomically: true, encoding: .utf8)
            try writeTokens("""
                agent     edge-paris-01  \(ServerListenerSecurityTests.agentToken)
                read      alice          \(ServerListenerSecurityTests.readToken)
                operator  bob            \(ServerListenerSecurityTests.operatorToken)

                """)
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let made = try HTTPFixture.run(["bash", root.appendingPathComponent("Tests/TestSupport/Scripts/make_test_pki.sh").path, pki])
            #expect(made.status == 0)
        }

        func writeTokens(_ text: String) throws {
            try text.write(toFile: tokens, atomically: true, encoding: .utf8)
            chmod(tokens, 0o600)
        }

        /// Starts `serve`; false (and the log) when it exits at once.
        @discardableResult
        func start(_ extra: [String], listen: String? = nil) throws -> (Bool, String) {
            try server.start(HTTPFixture.serverBinary, ["serve", "--data", dir + "/data", "--listen", listen ?? "127.0.0.1:\(port)",
                                                        "--inventory", dir + "/inventory.yaml", "--log-level", "info"] + extra)
        }

        func stop() { server.stop() }

        deinit {
            stop()
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// curl's HTTP status (0: no answer) and exit code.
        /// curl's HTTP status (0: no answer), exit code, and the body (written to a file: it may be binary).
        func curl(_ method: String, _ path: String, tls: Bool = false, token: String? = nil, _ options: [String] = []) throws -> (status: Int, exit: Int32, body: String) {
            let out = dir + "/body"
            var argv = ["curl", "-s", "-o", out, "-w", "%{http_code}", "--max-time", "10", "-X", method]
            if let token { argv += ["-H", "Authorization: Bearer \(token)"] }
            let r = try HTTPFixture.run(argv + options + [(tls ? "https" : "http") + "://127.0.0.1:\(port)\(path)"])
            return (Int(r.stdout) ?? 0, r.status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
        }

        func ingest(token: String, tls: Bool = false) throws -> Int {
            let body = dir + "/batch.ndjson"
            try (Lines.serviceState(seq: Int64.random(in: 1...1_000_000), state: "UNREACHABLE") + "\n").write(toFile: body, atomically: true, encoding: .utf8)
            let r = try curl("POST", "/api/v1/ingest", tls: tls, token: token,
                             ["-H", "Content-Type: application/x-ndjson", "--data-binary", "@" + body] + (tls ? ["--cacert", pki + "/ca.pem"] : []))
            if r.status != 200 && token == ServerListenerSecurityTests.agentToken { Issue.record("ingest: \(r.status) \(r.body)") }
            return r.status
        }
    }

    @Test("token file on loopback: agent tokens ingest under their name, read tokens read, only operators change state")
    func rolesFromTheFile() throws {
        let s = try Server()
        #expect(try s.start(["--token-file", s.tokens]).0)
        #expect(try s.ingest(token: Self.agentToken) == 200)
        #expect(try s.ingest(token: Self.readToken) == 401)
        #expect(try s.curl("GET", "/api/v1/weather").status == 401)  // the file has read tokens: reads are closed
        #expect(try s.curl("GET", "/api/v1/weather", token: Self.readToken).status == 200)
        #expect(try s.curl("GET", "/api/v1/weather", token: Self.agentToken).status == 401)
        let window = ["-H", "Content-Type: application/json", "--data", #"{"node":"web","duration_s":60,"comment":"test"}"#]
        #expect(try s.curl("POST", "/api/v1/maintenance", token: Self.readToken, window).status == 403)
        let created = try s.curl("POST", "/api/v1/maintenance", token: Self.operatorToken, window)
        #expect(created.status == 201, "\(created.body)")
    }

    @Test("SIGHUP re-reads the token file; a broken file keeps the current tokens")
    func rotation() throws {
        let s = try Server()
        #expect(try s.start(["--token-file", s.tokens]).0)
        let fresh = "fr3sh-r34d-t0ken-99887766"
        try s.writeTokens("agent edge-paris-01 \(Self.agentToken)\nread alice \(fresh)\n")
        kill(s.process!.processIdentifier, SIGHUP)
        #expect(ChildProcesses.waitFor(5) { (try? s.curl("GET", "/api/v1/weather", token: fresh).status) == 200 })
        #expect(try s.curl("GET", "/api/v1/weather", token: Self.readToken).status == 401)
        try s.writeTokens("read alice tooshort\n")
        kill(s.process!.processIdentifier, SIGHUP)
        usleep(500_000)
        #expect(try s.curl("GET", "/api/v1/weather", token: fresh).status == 200)
        let log = try String(contentsOfFile: s.log, encoding: .utf8)
        #expect(log.contains("token file not re-read"))
    }

    @Test("secure by default: a non-loopback listener needs TLS and tokens, and is then closed to anyone without a token")
    func secureByDefault() throws {
        let s = try Server()
        let (plain, log) = try s.start(["--token-file", s.tokens], listen: "0.0.0.0:\(s.port)")
        #expect(!plain)
        #expect(log.contains("--tls-cert") && log.contains("--insecure-listen"), "\(log)")
        let (bare, log2) = try s.start(["--tls-cert", s.pki + "/server.pem", "--tls-key", s.pki + "/server.key"], listen: "0.0.0.0:\(s.port)")
        #expect(!bare)
        #expect(log2.contains("--token-file"), "\(log2)")
        // TLS + a file holding only an agent token: reads and state changes are closed, not open.
        try s.writeTokens("agent edge-paris-01 \(Self.agentToken)\n")
        #expect(try s.start(["--token-file", s.tokens, "--tls-cert", s.pki + "/server.pem", "--tls-key", s.pki + "/server.key"],
                            listen: "0.0.0.0:\(s.port)").0)
        let ca = ["--cacert", s.pki + "/ca.pem"]
        #expect(try s.curl("GET", "/api/v1/weather", tls: true, ca).status == 401)
        #expect(try s.curl("GET", "/metrics", tls: true, ca).status == 401)
        #expect(try s.curl("PUT", "/api/v1/inventory", tls: true, ca + ["-H", "Content-Type: application/yaml", "--data", "nodes: []"]).status == 401)
        #expect(try s.ingest(token: Self.agentToken, tls: true) == 200)
        // The same on loopback stays open for development, as before.
        #expect(try s.start(["--token-file", s.tokens]).0)
        #expect(try s.curl("GET", "/api/v1/weather").status == 200)
    }

    @Test("TLS: the right CA is accepted; a wrong CA, a wrong host name and an expired certificate are refused")
    func certificates() throws {
        let s = try Server()
        let ca = ["--cacert", s.pki + "/ca.pem"]
        func serve(_ name: String) throws -> Bool {
            try s.start(["--token-file", s.tokens, "--tls-cert", s.pki + "/\(name).pem", "--tls-key", s.pki + "/\(name).key"]).0
        }
        #expect(try serve("server"))
        #expect(try s.curl("GET", "/api/v1/weather", tls: true, token: Self.readToken, ca).status == 200)
        #expect(try s.curl("GET", "/api/v1/weather", tls: true, token: Self.readToken, ["--cacert", s.pki + "/otherca.pem"]).exit == 60)
        #expect(try s.ingest(token: Self.agentToken, tls: true) == 200)
        #expect(try serve("wronghost"))
        #expect(try s.curl("GET", "/api/v1/weather", tls: true, token: Self.readToken, ca).exit == 60)
        #expect(try serve("expired"))
        #expect(try s.curl("GET", "/api/v1/weather", tls: true, token: Self.readToken, ca).exit == 60)
        // mTLS: without a client certificate the handshake fails.
        #expect(try s.start(["--token-file", s.tokens, "--tls-cert", s.pki + "/server.pem", "--tls-key", s.pki + "/server.key",
                             "--tls-client-ca", s.pki + "/ca.pem", "--tls-require-client-cert"]).0)
        #expect(try s.curl("GET", "/api/v1/weather", tls: true, token: Self.readToken, ca).status == 0)
        #expect(try s.curl("GET", "/api/v1/weather", tls: true, token: Self.readToken,
                           ca + ["--cert", s.pki + "/client.pem", "--key", s.pki + "/client.key"]).status == 200)
    }

    @Test("limits: slow and idle connections beyond the cap are evicted or timed out while real requests are answered")
    func connectionLimits() throws {
        let s = try Server()
        #expect(try s.start(["--max-connections", "64", "--header-timeout", "2", "--idle-timeout", "3"]).0)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("Tests/TestSupport/Scripts/slow_clients.py").path
        let clients = try (0..<2).map { i in
            try ChildProcesses.start(["/usr/bin/env", "python3", script, "\(s.port)", "75", "75", "8"], log: s.dir + "/clients-\(i).log")
        }
        usleep(1_500_000)
        var answered = 0, slow = 0
        for _ in 0..<10 {
            let started = Date()
            if try s.curl("GET", "/api/v1/weather").status == 200 { answered += 1 }
            if Date().timeIntervalSince(started) > 1 { slow += 1 }
            usleep(400_000)
        }
        for c in clients { c.waitUntilExit() }
        #expect(answered == 10)
        #expect(slow == 0)
        let metrics = try HTTPFixture.run(["curl", "-s", "http://127.0.0.1:\(s.port)/metrics"]).stdout
        func value(_ name: String) -> Int { Int(metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }?.split(separator: " ").last ?? "") ?? -1 }
        #expect(value("vigie_server_connections_evicted_total") > 0, "\(metrics.suffix(800))")
        #expect(value("vigie_server_header_timeouts_total") > 0)
        #expect(s.process!.isRunning)
    }
}
