import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import VigieTestSupport

@testable import Observability

/// Progress the tests switch on and off: each look while `advancing` sees a new value.
final class FakeProgress: Sendable {
    let advancing = Atomic<Bool>(true)
    private let value = Atomic<UInt64>(0)

    func read() -> UInt64 {
        advancing.load(ordering: .relaxed) ? value.wrappingAdd(1, ordering: .relaxed).newValue : value.load(ordering: .relaxed)
    }
}

/// Waits are generous (60 s): these tests run on the shared async pool, which the whole suite's
/// blocking tests can hold for seconds on a 2-core machine; what must not happen is checked over
/// fixed windows instead.
@Suite("Watchdog service", .serialized)
struct WatchdogServiceTests {
    let logger = Logger(label: "test")

    /// Runs `service` in a group until `body` returns, then shuts the group down gracefully.
    func running(_ service: WatchdogService, _ body: @Sendable () async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: [service], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("pings only while the counter advances; status says how long it stalled; STOPPING=1 at shutdown")
    func pingsWhileAdvancing() async throws {
        let supervisor = try NotifySupervisor()
        defer { supervisor.stop() }
        // 0.2 s: a check every 0.1 s.
        let notifier = SystemdNotifier(settings: .init(environment: ["NOTIFY_SOCKET": supervisor.address, "WATCHDOG_USEC": "200000"], pid: 1),
                                       logger: logger)
        let progress = FakeProgress()
        let service = WatchdogService(notifier: notifier, subject: "test", logger: logger,
                                      progress: { progress.read() }, status: { "all fine" })
        #expect(service.checkInterval == .milliseconds(100))
        try await running(service) {
            #expect(supervisor.waitFor(60) { $0.times(of: "WATCHDOG=1").count >= 5 }, "\(supervisor.transcript)")
            progress.advancing.store(false, ordering: .relaxed)
            let stalledAt = supervisor.now
            // A check already under way may still ping once; after that, none for as long as it stalls.
            try await Task.sleep(for: .milliseconds(400))
            let quietFrom = supervisor.now
            try await Task.sleep(for: .seconds(1))
            let quietTo = supervisor.now
            let during = supervisor.times(of: "WATCHDOG=1").filter { $0 > quietFrom && $0 < quietTo }
            #expect(during.isEmpty, "pinged while stalled (stalled at \(stalledAt)):\n\(supervisor.transcript)")
            #expect(supervisor.lines(startingWith: "STATUS=test stalled for").contains { $0.at > quietFrom },
                    "\(supervisor.transcript)")
            progress.advancing.store(true, ordering: .relaxed)
            let resumedAt = supervisor.now
            #expect(supervisor.waitFor(60) { $0.times(of: "WATCHDOG=1").filter { $0 > resumedAt }.count >= 3 }, "\(supervisor.transcript)")
        }
        #expect(supervisor.waitFor("STOPPING=1", timeout: 30), "\(supervisor.transcript)")
        #expect(supervisor.lines(startingWith: "STATUS=all fine").count >= 5)
    }

    @Test("without WATCHDOG_USEC: status only, every statusInterval")
    func statusOnly() async throws {
        let supervisor = try NotifySupervisor()
        defer { supervisor.stop() }
        let notifier = SystemdNotifier(settings: .init(environment: ["NOTIFY_SOCKET": supervisor.address], pid: 1), logger: logger)
        let service = WatchdogService(notifier: notifier, subject: "test", statusInterval: .milliseconds(100), logger: logger,
                                      progress: { 1 }, status: { "idle" })
        try await running(service) {
            #expect(supervisor.waitFor(60) { $0.lines(startingWith: "STATUS=").count >= 3 }, "\(supervisor.transcript)")
        }
        #expect(supervisor.times(of: "WATCHDOG=1").isEmpty)
        #expect(supervisor.waitFor("STOPPING=1", timeout: 30))
    }

    @Test("without NOTIFY_SOCKET: nothing sent, and the service waits for shutdown instead of ending the group")
    func disabled() async throws {
        let notifier = SystemdNotifier(settings: .init(environment: [:], pid: 1), logger: logger)
        let service = WatchdogService(notifier: notifier, subject: "test", logger: logger, progress: { 0 }, status: { "" })
        #expect(service.checkInterval == nil)
        let ran = Atomic<Bool>(false)
        try await running(service) {
            try await Task.sleep(for: .milliseconds(200))
            ran.store(true, ordering: .relaxed)
        }
        let finished = ran.load(ordering: .relaxed)
        #expect(finished)
    }

    @Test("progress tracker: stalled once, then resumed with the time it stood still")
    func tracker() {
        let t0 = ContinuousClock.now
        var t = ProgressTracker(initial: 5, now: t0)
        #expect(t.observe(6, now: t0 + .seconds(1)) == .advancing)
        #expect(t.observe(6, now: t0 + .seconds(2)) == .stalled(for: .seconds(1), first: true))
        #expect(t.isStalled)
        #expect(t.stalledFor(now: t0 + .seconds(3)) == .seconds(2))
        #expect(t.observe(6, now: t0 + .seconds(4)) == .stalled(for: .seconds(3), first: false))
        #expect(t.observe(7, now: t0 + .seconds(5)) == .resumed(after: .seconds(4)))
        #expect(!t.isStalled)
        #expect(t.stalledFor(now: t0 + .seconds(6)) == nil)
        // A counter that wraps still counts as moving.
        var w = ProgressTracker(initial: .max, now: t0)
        #expect(w.observe(0, now: t0 + .seconds(1)) == .advancing)
    }
}
