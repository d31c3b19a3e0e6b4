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

/// The service's decisions are driven by hand with a clock of the test's own: the tests run on the
/// shared async pool, which the whole suite's blocking tests can hold for a minute on a 2-core
/// machine (the agent's watchdog test checks the real timing, in a process of its own). The async
/// tests wait without holding a pool thread, and generously.
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

    /// Polls `condition` without holding a thread of the shared pool (the service under test needs one).
    func eventually(_ seconds: Double = 120, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    /// A service with a 0.2 s watchdog (a check every 0.1 s) telling `supervisor`, over a counter
    /// the test switches on and off, with the status "all fine".
    func watched(by supervisor: NotifySupervisor) -> (WatchdogService, FakeProgress) {
        let notifier = SystemdNotifier(settings: .init(environment: ["NOTIFY_SOCKET": supervisor.address, "WATCHDOG_USEC": "200000"], pid: 1),
                                       logger: logger)
        let progress = FakeProgress()
        let service = WatchdogService(notifier: notifier, subject: "test", logger: logger,
                                      progress: { progress.read() }, status: { "all fine" })
        return (service, progress)
    }

    @Test("checks ping only while the counter advances; the status says how long it stalled")
    func pingsWhileAdvancing() throws {
        let supervisor = try NotifySupervisor()
        defer { supervisor.stop() }
        // Checks driven by hand here, with a clock of the test's own.
        let (service, progress) = watched(by: supervisor)
        #expect(service.checkInterval == .milliseconds(100))
        let t0 = ContinuousClock.now
        func at(_ ms: Int) -> ContinuousClock.Instant { t0 + .milliseconds(ms) }
        var tracker = ProgressTracker(initial: progress.read(), now: t0)
        for i in 1...3 { service.check(&tracker, watchdog: true, now: at(100 * i)) }
        #expect(supervisor.waitFor(30) { $0.times(of: "WATCHDOG=1").count == 3 }, "\(supervisor.transcript)")
        // Stalled: statuses go on, pings stop; the status counts from the last advance (300 ms).
        progress.advancing.store(false, ordering: .relaxed)
        for i in 4...8 { service.check(&tracker, watchdog: true, now: at(100 * i)) }
        #expect(supervisor.waitFor(30) { $0.lines(startingWith: "STATUS=test stalled for").count == 5 }, "\(supervisor.transcript)")
        #expect(supervisor.times(of: "WATCHDOG=1").count == 3, "\(supervisor.transcript)")
        #expect(supervisor.lines(startingWith: "STATUS=test stalled for 0.5 s; all fine").count == 1, "\(supervisor.transcript)")
        // Moving again: pings again.
        progress.advancing.store(true, ordering: .relaxed)
        for i in 9...10 { service.check(&tracker, watchdog: true, now: at(100 * i)) }
        #expect(supervisor.waitFor(30) { $0.times(of: "WATCHDOG=1").count == 5 }, "\(supervisor.transcript)")
        #expect(supervisor.lines(startingWith: "STATUS=all fine").count == 5)
    }

    @Test("running: a first ping at once, STOPPING=1 at graceful shutdown")
    func runsAndStops() async throws {
        let supervisor = try NotifySupervisor()
        defer { supervisor.stop() }
        let (service, _) = watched(by: supervisor)
        try await running(service) {
            #expect(await eventually { supervisor.times(of: "WATCHDOG=1").count >= 2 }, "\(supervisor.transcript)")
        }
        #expect(await eventually { !supervisor.times(of: "STOPPING=1").isEmpty }, "\(supervisor.transcript)")
    }

    @Test("without WATCHDOG_USEC: status only, every statusInterval")
    func statusOnly() async throws {
        let supervisor = try NotifySupervisor()
        defer { supervisor.stop() }
        let notifier = SystemdNotifier(settings: .init(environment: ["NOTIFY_SOCKET": supervisor.address], pid: 1), logger: logger)
        let service = WatchdogService(notifier: notifier, subject: "test", statusInterval: .milliseconds(100), logger: logger,
                                      progress: { 1 }, status: { "idle" })
        try await running(service) {
            #expect(await eventually { supervisor.lines(startingWith: "STATUS=").count >= 3 }, "\(supervisor.transcript)")
        }
        #expect(supervisor.times(of: "WATCHDOG=1").isEmpty)
        #expect(await eventually { !supervisor.times(of: "STOPPING=1").isEmpty })
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
