import Foundation
import Testing
import VigieTestSupport

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
        let r = try Schemathesis.run(root: Support.packageRoot.path, spec: "Schemas/agent-api.yaml", config: "Schemas/agent-api.schemathesis.toml",
                                     url: agent.url(""), authorization: agent.authorization, maxExamples: 50, budget: Self.budget,
                                     outputs: agent.dir)
        print("schemathesis: exit \(r.status) in \(r.seconds) s, seed \(r.seed): \(r.summary)")
        #expect(r.status != 124, "schemathesis ran past \(Self.budget) s")
        #expect(r.status == 0, "schemathesis found problems (exit \(r.status)):\n\(String(r.stdout.suffix(12_000)))\n\(String(r.stderr.suffix(2_000)))")
        #expect(agent.server.isRunning, "the agent died during the schemathesis run")
        // And it still answers.
        #expect(try agent.request("GET", "/api/v1/segments").status == 200)
    }
}
