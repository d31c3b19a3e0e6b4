import Foundation
import Testing
import VigieTestSupport

/// The appliance's first boot makes the API credentials and wires the agent and the server to use
/// them (Packaging/test/firstboot-credentials-test: a private mount namespace, loopback only).
@Suite("Appliance first boot: credentials", .enabled(if: Support.isRoot && Support.hasTool("openssl") && Support.hasTool("unshare"),
                                                     "needs root (a private mount namespace) and openssl"))
struct ApplianceFirstBootTests {
    @Test("first boot's certificate and tokens: agent and server on 0.0.0.0 with TLS, closed without a token")
    func credentials() throws {
        let script = Support.packageRoot.appendingPathComponent("Packaging/test/firstboot-credentials-test").path
        let bin = URL(fileURLWithPath: Support.agentBinary).deletingLastPathComponent().path
        let r = try Support.run(["bash", script, bin])
        #expect(r.status == 0, "\(r.stdout.suffix(3000))\(r.stderr.suffix(1000))")
        #expect(r.stdout.contains("PASS firstboot-credentials-test"))
        #expect(!r.stdout.contains("FAIL"))
    }
}
