import Foundation
import Testing

/// schemathesis (installed by `scripts/install-deps.sh --test`) against the real agent: every
/// operation of Schemas/agent-api.yaml, in positive and negative modes, with all its checks (no 5xx,
/// statuses, content types, headers and bodies as described, invalid input refused, auth enforced,
/// 405 for undeclared methods). Schemas/agent-api.schemathesis.toml says why a 400 is an accepted
/// answer to schema-valid data on two operations.
@Suite("Agent API: schemathesis", .serialized,
       .enabled(if: Schemathesis.executable != nil && Support.hasTool("curl"),
                "schemathesis is not on PATH (scripts/install-deps.sh --test installs it): OpenAPI conformance test skipped"))
struct AgentAPISchemathesisTests {
    /// Whole-run bound, in seconds; each request has its own timeout too.
    static let budget = 240

    @Test("the agent conforms to Schemas/agent-api.yaml: no 5xx, no schema violation, and keeps serving")
    func conformance() throws {
        let agent = try TokenAgent()
        let root = Support.packageRoot.path
        // Fixed seed by default, so that a failure reproduces; VIGIE_SCHEMATHESIS_SEED explores others.
        let seed = ProcessInfo.processInfo.environment["VIGIE_SCHEMATHESIS_SEED"] ?? "1"
        let started = Date()
        let r = try Support.run([
            "timeout", "\(Self.budget)", Schemathesis.executable!,
            "--config-file", root + "/Schemas/agent-api.schemathesis.toml",
            "run", root + "/Schemas/agent-api.yaml",
            "--url", agent.url(""),
            "-H", agent.authorization,
            "--checks", "all",
            "--max-examples", "50",
            "--seed", seed,
            "--workers", "1",
            "--request-timeout", "20",
            "--max-failures", "20",
            "--no-color",
            "--output-truncate", "true",
            "--generation-database", "none",
        ])
        let elapsed = Int(Date().timeIntervalSince(started))
        let summary = r.stdout.split(separator: "\n").filter { $0.contains("generated") || $0.contains("issues found") || $0.contains("failures in") }
        print("schemathesis: exit \(r.status) in \(elapsed) s, seed \(seed): \(summary.joined(separator: " | "))")
        #expect(r.status != 124, "schemathesis ran past \(Self.budget) s")
        #expect(r.status == 0, "schemathesis found problems (exit \(r.status)):\n\(String(r.stdout.suffix(12_000)))\n\(String(r.stderr.suffix(2_000)))")
        #expect(agent.server.isRunning, "the agent died during the schemathesis run")
        // And it still answers.
        #expect(try agent.request("GET", "/api/v1/segments").status == 200)
    }
}

enum Schemathesis {
    /// The `schemathesis` executable on PATH, if any.
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/schemathesis" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
}
