import Foundation
import Testing
import VigieTestSupport

/// The agent's API as an attacker on the same network meets it: tokens and roles, secure-by-default
/// listening, TLS with certificates made by openssl (right CA, wrong CA, wrong host, expired, client
/// certificates), token rotation on SIGHUP, and the connection limits. Loopback only.
@Suite("Agent API: authentication, TLS, limits", .serialized,
       .enabled(if: Support.hasTool("curl") && Support.hasTool("openssl") && Support.hasTool("python3"), "needs curl, openssl and python3"))
struct AgentAPISecurityTests {
    static let readToken = "r34d-t0ken-0123456789abcdef"
    static let drillToken = "dr1ll-t0ken-fedcba9876543210"

    final class Agent {
        let dir = Support.temporaryDirectory("sec")
        var store: String { dir + "/s" }
        var pki: String { dir + "/pki" }
        var tokens: String { dir + "/tokens" }
        var log: String { dir + "/agent.log" }
        let port = TestPorts.unused()
        lazy var server = ListeningProcess(log: log)
        var process: Process? { server.process }

        init() throws {
            try Support.generatedStore(store, in: dir)
            let pkiScript = Support.packageRoot.appendingPathComponent("Tests/TestSupport/Scripts/make_test_pki.sh").path
            let made = try Support.run(["bash", pkiScript, pki])
            #expect(made.status == 0, "\(made.stderr)")
            try writeTokens("read alice \(AgentAPISecurityTests.readToken)\ndrilldown vigie-server \(AgentAPISecurityTests.drillToken)\n")
        }

        func writeTokens(_ text: String, mode: Int = 0o600) throws {
            try text.write(toFile: tokens, atomically: true, encoding: .utf8)
            chmod(tokens, mode_t(mode))
        }

        /// Starts `serve` with `extra` options; returns false (and the log) when it exits at once.
        @discardableResult
        func start(_ extra: [String], listen: String? = nil) throws -> (Bool, String) {
            try server.start(Support.agentBinary, ["serve", "--store", store, "--listen", listen ?? "127.0.0.1:\(port)", "--log-level", "info"] + extra)
        }

        func stop() { server.stop() }

        deinit {
            stop()
            try? FileManager.default.removeItem(atPath: dir)
        }

        /// curl's HTTP status (0 when no answer) and its exit code.
        func curl(_ path: String, tls: Bool = false, _ options: [String] = []) throws -> (status: Int, exit: Int32) {
            let url = (tls ? "https" : "http") + "://127.0.0.1:\(port)\(path)"
            let r = try Support.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"] + options + [url])
            return (Int(r.stdout) ?? 0, r.status)
        }

        func bearer(_ token: String) -> [String] { ["-H", "Authorization: Bearer \(token)"] }
    }

    @Test("tokens: none or a wrong one is 401, read reads, only drilldown acts for a user, and the audit line names both")
    func tokensAndRoles() throws {
        let a = try Agent()
        #expect(try a.start(["--token-file", a.tokens]).0)
        #expect(try a.curl("/api/v1/segments").status == 401)
        #expect(try a.curl("/api/v1/packets?q=tcp").status == 401)
        #expect(try a.curl("/api/v1/segments", a.bearer("not-a-valid-token-at-all")).status == 401)
        #expect(try a.curl("/api/v1/segments", a.bearer(Self.readToken)).status == 200)
        #expect(try a.curl("/api/v1/packets?q=tcp&limit=3", a.bearer(Self.readToken)).status == 200)
        #expect(try a.curl("/healthz").status == 200)
        #expect(try a.curl("/readyz").status == 200)
        // A read token may not claim to act for someone else.
        #expect(try a.curl("/api/v1/packets?q=udp", a.bearer(Self.readToken) + ["-H", "Vigie-On-Behalf-Of: mallory"]).status == 403)
        #expect(try a.curl("/api/v1/packets?q=udp&limit=2", a.bearer(Self.drillToken) + ["-H", "Vigie-On-Behalf-Of: bob"]).status == 200)
        let metrics = try Support.run(["curl", "-s", "-H", "Authorization: Bearer \(Self.readToken)", "http://127.0.0.1:\(a.port)/metrics"]).stdout
        #expect(metrics.contains(#"vigie_agent_queries_total{outcome="served"} 2"#), "\(metrics)")
        a.stop()
        let log = try String(contentsOfFile: a.log, encoding: .utf8)
        let audit = log.split(separator: "\n").filter { $0.contains("packet extraction") && !$0.contains("refused") }
        #expect(audit.count == 2)
        #expect(audit.contains { $0.contains("who=alice") && $0.contains("query=tcp") && $0.contains("packets=3") })
        #expect(audit.contains { $0.contains("who=vigie-server") && $0.contains("on_behalf_of=bob") && $0.contains("query=udp") })
    }

    @Test("SIGHUP re-reads the token file: the old token stops working, a broken file keeps the current ones")
    func tokenRotation() throws {
        let a = try Agent()
        #expect(try a.start(["--token-file", a.tokens]).0)
        let fresh = "fr3sh-t0ken-00112233445566"
        try a.writeTokens("read alice \(fresh)\n")
        kill(a.process!.processIdentifier, SIGHUP)
        #expect(ChildProcesses.waitFor(5) { (try? a.curl("/api/v1/segments", a.bearer(fresh)).status) == 200 })
        #expect(try a.curl("/api/v1/segments", a.bearer(Self.readToken)).status == 401)
        try a.writeTokens("read alice short\n")
        kill(a.process!.processIdentifier, SIGHUP)
        usleep(500_000)
        #expect(try a.curl("/api/v1/segments", a.bearer(fresh)).status == 200)
        #expect(a.process!.isRunning)
    }

    @Test("secure by default: a non-loopback listener needs TLS and credentials, or --insecure-listen")
    func secureByDefault() throws {
        let a = try Agent()
        let (started, log) = try a.start([], listen: "0.0.0.0:\(a.port)")
        #expect(!started)
        #expect(log.contains("--tls-cert") && log.contains("--token-file") && log.contains("--insecure-listen"), "\(log)")
        let (withTokenOnly, log2) = try a.start(["--token-file", a.tokens], listen: "0.0.0.0:\(a.port)")
        #expect(!withTokenOnly)
        #expect(log2.contains("TLS"), "\(log2)")
        // A world-readable token file is refused.
        try a.writeTokens("read alice \(Self.readToken)\n", mode: 0o644)
        let (worldReadable, log3) = try a.start(["--token-file", a.tokens])
        #expect(!worldReadable)
        #expect(log3.contains("readable by every user"), "\(log3)")
        try a.writeTokens("read alice \(Self.readToken)\n")
        // TLS and a token: allowed (only loopback is ever contacted).
        #expect(try a.start(["--token-file", a.tokens, "--tls-cert", a.pki + "/server.pem", "--tls-key", a.pki + "/server.key"],
                            listen: "0.0.0.0:\(a.port)").0)
        #expect(try a.curl("/healthz", tls: true, ["--cacert", a.pki + "/ca.pem"]).status == 200)
    }

    @Test("TLS: the right CA is accepted; a wrong CA, a wrong host name and an expired certificate are refused")
    func serverCertificates() throws {
        let a = try Agent()
        let ca = ["--cacert", a.pki + "/ca.pem"]
        #expect(try a.start(["--token-file", a.tokens, "--tls-cert", a.pki + "/server.pem", "--tls-key", a.pki + "/server.key"]).0)
        #expect(try a.curl("/api/v1/segments", tls: true, ca + a.bearer(Self.readToken)).status == 200)
        #expect(try a.curl("/healthz", tls: true, ["--cacert", a.pki + "/otherca.pem"]).exit == 60)
        #expect(try a.curl("/healthz", tls: false).status == 0)  // plain HTTP on a TLS port gets no answer
        a.stop()
        #expect(try a.start(["--token-file", a.tokens, "--tls-cert", a.pki + "/wronghost.pem", "--tls-key", a.pki + "/wronghost.key"]).0)
        #expect(try a.curl("/healthz", tls: true, ca).exit == 60)
        a.stop()
        #expect(try a.start(["--token-file", a.tokens, "--tls-cert", a.pki + "/expired.pem", "--tls-key", a.pki + "/expired.key"]).0)
        #expect(try a.curl("/healthz", tls: true, ca).exit == 60)
        a.stop()
        let (bad, log) = try a.start(["--tls-cert", a.pki + "/server.key", "--tls-key", a.pki + "/server.key"])
        #expect(!bad)
        #expect(log.contains("not a PEM certificate chain"), "\(log)")
    }

    @Test("mTLS: a client certificate from the CA is the drill-down credential; none, or one from another CA, is refused")
    func clientCertificates() throws {
        let a = try Agent()
        let ca = ["--cacert", a.pki + "/ca.pem"]
        let cert = ["--cert", a.pki + "/client.pem", "--key", a.pki + "/client.key"]
        let other = ["--cert", a.pki + "/otherclient.pem", "--key", a.pki + "/otherclient.key"]
        let tls = ["--tls-cert", a.pki + "/server.pem", "--tls-key", a.pki + "/server.key", "--tls-client-ca", a.pki + "/ca.pem"]
        // Required: no certificate, or a foreign one, fails the handshake.
        #expect(try a.start(tls + ["--tls-require-client-cert"]).0)
        #expect(try a.curl("/healthz", tls: true, ca).status == 0)
        #expect(try a.curl("/healthz", tls: true, ca + other).status == 0)
        #expect(try a.curl("/api/v1/packets?q=tcp&limit=1", tls: true, ca + cert + ["-H", "Vigie-On-Behalf-Of: carol"]).status == 200)
        a.stop()
        let log = try String(contentsOfFile: a.log, encoding: .utf8)
        #expect(log.contains("who=CN=vigie-server") && log.contains("on_behalf_of=carol"), "\(log.suffix(600))")
        // Optional (with tokens): a read token without a certificate still works.
        #expect(try a.start(tls + ["--token-file", a.tokens]).0)
        #expect(try a.curl("/api/v1/segments", tls: true, ca + a.bearer(Self.readToken)).status == 200)
        #expect(try a.curl("/api/v1/segments", tls: true, ca).status == 401)
        #expect(try a.curl("/api/v1/segments", tls: true, ca + cert).status == 200)
    }

    @Test("limits: idle and slowloris connections beyond the cap are evicted or timed out, and real requests are answered")
    func connectionLimits() throws {
        let a = try Agent()
        #expect(try a.start(["--max-connections", "64", "--header-timeout", "2", "--idle-timeout", "3"]).0)
        let script = Support.packageRoot.appendingPathComponent("Tests/TestSupport/Scripts/slow_clients.py").path
        // Two client processes, 150 idle + 150 slowloris connections, for 8 s: more than twice the cap.
        let clients = try (0..<2).map { _ in
            try ChildProcesses.start(["/usr/bin/env", "python3", script, "\(a.port)", "75", "75", "8"], log: a.dir + "/clients-\(UUID().uuidString).log")
        }
        usleep(1_500_000)
        var answered = 0, slow = 0
        for _ in 0..<10 {
            let started = Date()
            if try a.curl("/api/v1/segments").status == 200 { answered += 1 }
            if Date().timeIntervalSince(started) > 1 { slow += 1 }
            usleep(400_000)
        }
        for c in clients { c.waitUntilExit() }
        #expect(answered == 10)
        #expect(slow == 0)
        let metrics = try Support.run(["curl", "-s", "http://127.0.0.1:\(a.port)/metrics"]).stdout
        func value(_ name: String) -> Int { Int(metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }?.split(separator: " ").last ?? "") ?? -1 }
        #expect(value("vigie_agent_api_connections_evicted_total") > 0, "\(metrics)")
        #expect(value("vigie_agent_api_header_timeouts_total") > 0, "\(metrics)")
        #expect(value("vigie_agent_api_connections") <= 64)
        #expect(a.process!.isRunning)
    }
}
