import Foundation
import Logging
import Testing
import VigieTestSupport

@testable import Observability

@Suite("systemd notify protocol")
struct SystemdNotifierTests {
    let logger = Logger(label: "test")

    @Test("messages reach a socket named by a path")
    func pathSocket() throws {
        let supervisor = try NotifySupervisor()
        defer { supervisor.stop() }
        let notifier = SystemdNotifier(settings: .init(environment: ["NOTIFY_SOCKET": supervisor.address], pid: 1), logger: logger)
        #expect(notifier.isEnabled)
        notifier.ready(status: "capturing eth1")
        notifier.watchdog()
        notifier.status("two\nlines")
        notifier.stopping()
        #expect(supervisor.waitFor("STOPPING=1", timeout: 5), "\(supervisor.transcript)")
        #expect(supervisor.messages.map(\.line) == ["READY=1", "STATUS=capturing eth1", "WATCHDOG=1", "STATUS=two lines", "STOPPING=1"])
    }

    @Test("messages reach an abstract socket ('@name')")
    func abstractSocket() throws {
        let supervisor = try NotifySupervisor(abstract: true)
        defer { supervisor.stop() }
        #expect(supervisor.address.hasPrefix("@"))
        let notifier = SystemdNotifier(settings: .init(environment: ["NOTIFY_SOCKET": supervisor.address], pid: 1), logger: logger)
        #expect(notifier.send(["READY=1"]))
        #expect(supervisor.waitFor("READY=1", timeout: 5), "\(supervisor.transcript)")
    }

    @Test("without NOTIFY_SOCKET every call is a no-op")
    func absent() {
        let notifier = SystemdNotifier(settings: .init(environment: ["WATCHDOG_USEC": "1000000"], pid: 1), logger: logger)
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)
        #expect(!notifier.send(["READY=1"]))
        notifier.ready()
        notifier.watchdog()
        notifier.stopping()
    }

    @Test("a socket nobody listens on: send fails quietly, nothing thrown")
    func nobodyListening() {
        let notifier = SystemdNotifier(settings: .init(environment: ["NOTIFY_SOCKET": "/nonexistent/vigie/notify"], pid: 1), logger: logger)
        #expect(notifier.isEnabled)
        #expect(!notifier.send(["READY=1"]))
        #expect(!notifier.send(["WATCHDOG=1"]))
    }

    @Test("WATCHDOG_USEC is parsed; bad values are ignored with a warning", arguments: [
        ("1000000", Duration?.some(.seconds(1))), ("30000000", .some(.seconds(30))), ("250", .some(.microseconds(250))),
        ("0", nil), ("-5", nil), ("abc", nil), ("", nil), ("1e6", nil), (" 100", nil), ("99999999999999999999999", nil),
    ])
    func watchdogUsec(text: String, expected: Duration?) {
        let s = SystemdNotifier.Settings(environment: ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": text], pid: 42)
        #expect(s.watchdogInterval == expected)
        #expect(s.warnings.isEmpty == (expected != nil))
    }

    @Test("WATCHDOG_PID: only that process pings")
    func watchdogPID() {
        let env = ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "2000000"]
        #expect(SystemdNotifier.Settings(environment: env.merging(["WATCHDOG_PID": "42"]) { $1 }, pid: 42).watchdogInterval == .seconds(2))
        #expect(SystemdNotifier.Settings(environment: env.merging(["WATCHDOG_PID": "43"]) { $1 }, pid: 42).watchdogInterval == nil)
        let bad = SystemdNotifier.Settings(environment: env.merging(["WATCHDOG_PID": "me"]) { $1 }, pid: 42)
        #expect(bad.watchdogInterval == nil)
        #expect(!bad.warnings.isEmpty)
    }

    @Test("a NOTIFY_SOCKET that is neither a path nor @abstract is ignored", arguments: ["relative/sock", "x", String(repeating: "/a", count: 60)])
    func badSocket(value: String) {
        let s = SystemdNotifier.Settings(environment: ["NOTIFY_SOCKET": value], pid: 1)
        #expect(s.socket == nil)
        #expect(!s.warnings.isEmpty)
    }
}
