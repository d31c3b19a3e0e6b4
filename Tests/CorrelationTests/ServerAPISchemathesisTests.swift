import Foundation
import Testing
@testable import Correlation

/// schemathesis (installed by `scripts/install-deps.sh --test`) against the real `vigie-server serve`:
/// every operation of Schemas/server-api.yaml, in positive and negative modes and statefully, with all
/// its checks (no 5xx, statuses, content types, headers and bodies as described, invalid input refused,
/// auth enforced, 405 for undeclared methods). Schemas/server-api.schemathesis.toml says why an
/// operation is left out or a status accepted. The server runs with a token file (agent, read and
/// operator tokens), the shop inventory and a few ingested records, so that the weather, nodes, flows
/// and dependencies have content; schemathesis calls it with the operator token.
@Suite("Server API: schemathesis", .serialized,
       .enabled(if: ServerSchemathesis.executable != nil && HTTPFixture.hasTool("curl") && HTTPFixture.hasTool("gzip"),
                "schemathesis is not on PATH (scripts/install-deps.sh --test installs it): OpenAPI conformance test skipped"))
struct ServerAPISchemathesisTests {
    /// Whole-run bound, in seconds; each request has its own timeout too.
    static let budget = 300
    static let agentToken = "agent-edge-paris-01-0123456789"
    static let readToken = "read-dashboard-0123456789abcdef"
    static let operatorToken = "operator-alice-0123456789abcdef"

    @Test("the server conforms to Schemas/server-api.yaml: no 5xx, no schema violation, and keeps serving")
    func conformance() throws {
        let dir = temporaryDirectory("schemathesis")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tokens = dir + "/tokens"
        try """
        agent edge-paris-01 \(Self.agentToken)
        read dashboard \(Self.readToken)
        operator alice \(Self.operatorToken)

        """.write(toFile: tokens, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokens)
        let f = try HTTPFixture(dir: dir, arguments: ["--token-file", tokens])
        #expect(f.server.isRunning, "vigie-server did not start")

        // Content for the weather, node details, flows, dependencies and agents.
        let batch = [Lines.serviceSeen(seq: 2), Lines.serviceState(seq: 15, state: "DEGRADED"),
                     Lines.serviceState(seq: 16, service: "10.0.0.7:5432/tcp", state: "UP"), Lines.edge(seq: 24),
                     Lines.agentHealth(seq: 25), Lines.conn(seq: 1)]
        let ingested = try f.post(batch, token: Self.agentToken)
        #expect(ingested.status == 200, "\(ingested.body)")

        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        // Fixed seed by default, so that a failure reproduces; VIGIE_SCHEMATHESIS_SEED explores others.
        let seed = ProcessInfo.processInfo.environment["VIGIE_SCHEMATHESIS_SEED"] ?? "1"
        let started = Date()
        let r = try ServerSchemathesis.run([
            "timeout", "\(Self.budget)", ServerSchemathesis.executable!,
            "--config-file", root + "/Schemas/server-api.schemathesis.toml",
            "run", root + "/Schemas/server-api.yaml",
            "--url", f.url(""),
            "-H", "Authorization: Bearer \(Self.operatorToken)",
            "--checks", "all",
            "--max-examples", "30",
            "--seed", seed,
            "--workers", "1",
            "--request-timeout", "20",
            "--max-failures", "20",
            "--no-color",
            "--output-truncate", "true",
            "--generation-database", "none",
        ], cwd: root, outputs: dir, environment: ["VIGIE_AGENT_TOKEN": Self.agentToken,
                                                       // Put back after every accepted PUT /api/v1/inventory (the toml's hooks).
                                                       "VIGIE_SCHEMATHESIS_INVENTORY": dir + "/inventory.yaml"])
        let elapsed = Int(Date().timeIntervalSince(started))
        let summary = r.stdout.split(separator: "\n").filter { $0.contains("generated") || $0.contains("issues found") || $0.contains("failures in") }
        print("schemathesis: exit \(r.status) in \(elapsed) s, seed \(seed): \(summary.joined(separator: " | "))")
        #expect(r.status != 124, "schemathesis ran past \(Self.budget) s")
        #expect(r.status == 0, "schemathesis found problems (exit \(r.status)):\n\(String(r.stdout.suffix(12_000)))\n\(String(r.stderr.suffix(2_000)))")
        #expect(f.server.isRunning, "vigie-server died during the schemathesis run")
        // And it still answers: reads with the read token, ingest with the agent's.
        let weather = try HTTPFixture.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                           "-H", "Authorization: Bearer \(Self.readToken)", f.url("/api/v1/weather")])
        #expect(weather.stdout == "200")
        #expect(try f.post([Lines.serviceState(seq: 100, state: "UP")], token: Self.agentToken).status == 200)
    }
}

enum ServerSchemathesis {
    /// The `schemathesis` executable on PATH, if any.
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/schemathesis" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    /// Runs `argv` in `cwd` (the repository root: the toml names its hooks file from there; with the
    /// cache disabled schemathesis writes nothing), its outputs collected in files in `outputs` (no
    /// pipe can fill up).
    static func run(_ argv: [String], cwd: String, outputs: String, environment: [String: String]) throws -> Output {
        let p = Process()
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        let outPath = outputs + "/schemathesis.out", errPath = outputs + "/schemathesis.err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try out.close(); try err.close()
        return Output(status: p.terminationStatus,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}
