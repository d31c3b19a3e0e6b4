import Foundation
import Testing
import VigieTestSupport

@testable import ServerHTTP

/// The server's metrics catalog and its probes.
@Suite("Server metrics and probes")
struct ServerMetricsTests {
    @Test("every metric of the catalog is documented in docs/metrics.md and named by the conventions")
    func catalogDocumented() throws {
        let doc = try String(contentsOf: Support.packageRoot.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        #expect(Set(ServerMetrics.catalog.map(\.name)).count == ServerMetrics.catalog.count)
        for m in ServerMetrics.catalog {
            #expect(doc.contains("`\(m.name)`") || doc.contains("`\(m.name){"), "\(m.name) is not in docs/metrics.md")
            #expect(m.name.hasPrefix("vigie_server_") && !m.help.isEmpty)
            #expect(m.kind != .counter || m.name.hasSuffix("_total"), "\(m.name): a counter ends in _total")
            #expect(m.kind != .gauge || !m.name.hasSuffix("_total"), "\(m.name): a gauge does not end in _total")
        }
    }

    @Test("/healthz and /readyz answer without a credential where every other route needs one; /metrics keeps its rule")
    func probesNeedNoCredential() throws {
        let f = try HTTPFixture(arguments: ["--read-token", "r3ad", "--operator-token", "0p3rat0r"])
        #expect(try f.get("/healthz").status == 200)
        #expect(try f.get("/readyz").status == 200)
        #expect(try f.get("/metrics").status == 401)
        #expect(try f.get("/api/v1/weather").status == 401)
    }
}

@Suite("Server readiness with PostgreSQL", .serialized,
       .enabled(if: PostgresServer.unavailableReason == nil && HTTPFixture.hasTool("curl"), "needs PostgreSQL server binaries and curl"))
struct ServerReadinessTests {
    @Test("/readyz turns 503 naming the database while PostgreSQL is down, and 200 again when it is back; /healthz stays 200")
    func databaseDown() throws {
        let pg = try PostgresServer()
        defer { pg.destroy() }
        try pg.createDatabase("ready")
        let f = try HTTPFixture(arguments: ["--database", pg.url("ready")])
        #expect(try f.get("/readyz").status == 200)
        try pg.stop(immediate: true)
        var last = (status: 0, body: "")
        #expect(ChildProcesses.waitFor(20) { last = (try? f.get("/readyz")) ?? (0, ""); return last.status == 503 })
        #expect(last.body.contains("database"), "\(last.body)")
        #expect(try f.get("/healthz").status == 200)
        try pg.start()
        #expect(ChildProcesses.waitFor(30) { (try? f.get("/readyz"))?.status == 200 })
    }
}
