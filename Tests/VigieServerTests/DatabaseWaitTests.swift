import Foundation
import Testing
import VigieTestSupport

/// `vigie-server --database` started while PostgreSQL is down (restarting, or starting with the
/// host): it waits for it (`--database-wait`) instead of exiting, and gives up with a clear error.
@Suite("Server waiting for its database", .serialized,
       .enabled(if: PostgresServer.unavailableReason == nil && HTTPFixture.hasTool("curl"), "needs PostgreSQL server binaries and curl"))
struct DatabaseWaitTests {
    @Test("PostgreSQL down at start: the server waits, then serves once it is up")
    func waitsForTheDatabase() throws {
        let pg = try PostgresServer()
        defer { pg.destroy() }
        try pg.createDatabase("late")
        try pg.stop()
        // PostgreSQL comes back 3 s after the server started.
        let started = Date()
        Thread { Thread.sleep(forTimeInterval: 3); try? pg.start() }.start()
        let server = try HTTPFixture(arguments: ["--database", pg.url("late"), "--database-wait", "60"])
        #expect(ChildProcesses.waitFor(30) { (try? server.get("/api/v1/weather"))?.status == 200 })
        #expect(server.server.isRunning)
        #expect(Date().timeIntervalSince(started) >= 3)
    }

    @Test("no database within --database-wait: a clear error, not a hang")
    func givesUp() throws {
        let pg = try PostgresServer()
        defer { pg.destroy() }
        try pg.stop()
        let started = Date()
        let r = try HTTPFixture.runServer(["serve", "--listen", "127.0.0.1:\(TestPorts.unused())", "--database", pg.url(), "--database-wait", "2"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--database") && r.stderr.contains("cannot connect"))
        #expect(Date().timeIntervalSince(started) >= 2)
    }
}
