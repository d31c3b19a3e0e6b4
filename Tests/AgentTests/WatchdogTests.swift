import Foundation
import Testing
import VigieTestSupport

/// `vigie-agent capture` under a stand-in for systemd (Type=notify, WatchdogSec=1s): READY, then
/// watchdog pings while the capture loop advances, none while the capture thread is frozen (the
/// `VIGIE_TEST_STALL_CAPTURE_FILE` hook), pings again once it runs, STOPPING at SIGTERM.
@Suite("systemd watchdog of the capture", .serialized, .enabled(if: NetnsPair.available, "needs root, iproute2 and tcpreplay (network namespaces)"))
struct WatchdogTests {
    @Test("WATCHDOG=1 only while the capture thread makes progress")
    func watchdogFollowsCaptureThread() throws {
        let pair = try NetnsPair()
        defer { pair.tearDown() }
        let store = Support.temporaryDirectory("watchdog")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let stallFile = store + ".stall"
        defer { try? FileManager.default.removeItem(atPath: stallFile) }
        let supervisor = try NotifySupervisor()
        defer { supervisor.stop() }

        // 1 s: a check every 0.5 s. `ip netns exec` and env exec the agent: it keeps this pid.
        let log = store + ".log"
        let agent = try ChildProcesses.start(["/usr/bin/env", "ip", "netns", "exec", pair.nsB, Support.agentBinary, "capture",
                                              "--interface", pair.receiver, "--store", store, "--log-level", "notice"], log: log,
                                             environment: supervisor.environment(watchdogMicroseconds: 1_000_000,
                                                                                 extra: ["VIGIE_TEST_STALL_CAPTURE_FILE": stallFile]))
        defer { if agent.isRunning { kill(agent.processIdentifier, SIGKILL) } }
        func context() -> String {
            "notify messages:\n\(supervisor.transcript)\nagent log:\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")"
        }

        // Generous windows: a loaded 2-core machine may start the agent slowly.
        try #require(supervisor.waitFor("READY=1", timeout: 30), "\(context())")
        let readyAt = supervisor.times(of: "READY=1")[0]
        #expect(supervisor.waitFor(20) { $0.times(of: "WATCHDOG=1").filter { $0 >= readyAt }.count >= 4 }, "\(context())")
        #expect(supervisor.lines(startingWith: "STATUS=capturing \(pair.receiver)").count >= 2, "\(context())")

        // Freeze the capture thread: the pings stop while the process lives on.
        FileManager.default.createFile(atPath: stallFile, contents: nil)
        let frozenAt = supervisor.now
        try #require(supervisor.waitFor(20) { $0.lines(startingWith: "STATUS=capture stalled for").contains { $0.at > frozenAt } },
                     "no stall reported: \(context())")
        let quietFrom = supervisor.now
        #expect(supervisor.waitFor(30) { $0.now - quietFrom >= 3.5 })
        let quietTo = supervisor.now
        #expect(agent.isRunning, "the agent exited while its capture thread was frozen: \(context())")
        let pingsWhileFrozen = supervisor.times(of: "WATCHDOG=1").filter { $0 > quietFrom && $0 <= quietTo }
        #expect(pingsWhileFrozen.isEmpty, "pinged while the capture thread was frozen: \(context())")
        #expect(supervisor.lines(startingWith: "STATUS=").filter { $0.at > quietFrom && $0.at <= quietTo }.count >= 3,
                "the status must still be refreshed while frozen: \(context())")

        // Thaw it: pings resume.
        try FileManager.default.removeItem(atPath: stallFile)
        let thawedAt = supervisor.now
        #expect(supervisor.waitFor(20) { $0.times(of: "WATCHDOG=1").filter { $0 > thawedAt }.count >= 3 }, "no pings after the thaw: \(context())")

        // SIGTERM: STOPPING=1, then a clean exit.
        agent.terminate()
        #expect(supervisor.waitFor("STOPPING=1", timeout: 30), "\(context())")
        let deadline = Date().addingTimeInterval(60)
        while agent.isRunning && Date() < deadline { usleep(100_000) }
        try #require(!agent.isRunning, "the agent did not stop: \(context())")
        #expect(agent.terminationStatus == 0, "\(context())")
        // Nothing after STOPPING=1 but status.
        let stoppingAt = supervisor.times(of: "STOPPING=1")[0]
        #expect(supervisor.times(of: "WATCHDOG=1").allSatisfy { $0 <= stoppingAt })
    }
}
