import Foundation
import Testing
import VigieTestSupport

/// `vigie-server serve` under a stand-in for systemd (Type=notify, WatchdogSec=1s).
@Suite("systemd notify of the server", .serialized)
struct SystemdNotifyTests {
    @Test("READY=1 once the API listens, watchdog pings while the tick runs, STOPPING=1 at SIGTERM")
    func readyWatchdogStopping() throws {
        let dir = Support.temporaryDirectory("server-notify")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let supervisor = try NotifySupervisor()
        defer { supervisor.stop() }
        let port = TestPorts.unused()
        let log = dir + "/server.log"
        let server = try ChildProcesses.start([Support.serverBinary, "serve", "--data", dir + "/data", "--listen", "127.0.0.1:\(port)",
                                               "--tick", "0.1", "--log-level", "notice"], log: log,
                                              environment: supervisor.environment(watchdogMicroseconds: 1_000_000))
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        func context() -> String {
            "notify messages:\n\(supervisor.transcript)\nserver log:\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")"
        }

        try #require(supervisor.waitFor("READY=1", timeout: 60), "\(context())")
        // Told ready means it answers now, not a moment later.
        let answer = try Support.run(["curl", "-s", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                                      "http://127.0.0.1:\(port)/api/v1/weather"])
        #expect(answer.stdout == "200", "curl right after READY=1: \(answer.stdout) \(answer.stderr)\n\(context())")
        #expect(supervisor.lines(startingWith: "STATUS=serving 127.0.0.1:\(port)").count >= 1, "\(context())")
        let readyAt = supervisor.times(of: "READY=1")[0]
        #expect(supervisor.waitFor(20) { $0.times(of: "WATCHDOG=1").filter { $0 >= readyAt }.count >= 3 }, "\(context())")

        server.terminate()
        #expect(supervisor.waitFor("STOPPING=1", timeout: 30), "\(context())")
        let deadline = Date().addingTimeInterval(60)
        while server.isRunning && Date() < deadline { usleep(100_000) }
        try #require(!server.isRunning, "the server did not stop: \(context())")
        #expect(server.terminationStatus == 0, "\(context())")
    }

    @Test("without NOTIFY_SOCKET the server starts and stops as before")
    func withoutNotifySocket() throws {
        let dir = Support.temporaryDirectory("server-no-notify")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = ListeningProcess(log: dir + "/server.log")
        let port = TestPorts.unused()
        let (started, log) = try process.start(Support.serverBinary, ["serve", "--data", dir + "/data", "--listen", "127.0.0.1:\(port)"])
        #expect(started, "\(log)")
        process.stop()
        #expect(process.process?.terminationStatus == 0)
    }
}
