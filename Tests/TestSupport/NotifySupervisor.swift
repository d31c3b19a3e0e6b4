import Foundation
import Synchronization

/// A stand-in for systemd's side of the notify protocol (systemd is not PID 1 on the test
/// machines): a unix datagram socket bound in a temporary directory (or in the abstract
/// namespace) collecting every `KEY=VALUE` line it receives, with the time it arrived.
/// Give ``environment`` to the process under test.
public final class NotifySupervisor: Sendable {
    public struct Message: Sendable, Equatable {
        /// One `KEY=VALUE` line of a datagram.
        public var line: String
        /// Seconds since the supervisor started.
        public var at: Double
    }

    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The value for `NOTIFY_SOCKET`: the socket's path, or `@name` for an abstract socket.
    public let address: String
    private let directory: String?
    private let inbox = Inbox()

    /// What the reader thread shares with the tests; the thread owns the socket and closes it.
    private final class Inbox: Sendable {
        let start = Date()
        let received = Mutex<[Message]>([])
        let stopped = Atomic<Bool>(false)
    }

    /// `abstract`: bind `@vigie-test-<random>` instead of a path (same network namespace only).
    public init(abstract: Bool = false) throws {
        let s = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw SetupError(description: "socket: errno \(errno)") }
        var name: [UInt8]
        if abstract {
            directory = nil
            address = "@vigie-test-\(UUID().uuidString.prefix(12))"
            name = Array(address.utf8)
            name[0] = 0
        } else {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigie-notify-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            directory = dir
            address = dir + "/notify"
            name = Array(address.utf8) + [0]
        }
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        guard name.count <= MemoryLayout.size(ofValue: sa.sun_path) else {
            close(s)
            throw SetupError(description: "socket name too long: \(address)")
        }
        withUnsafeMutableBytes(of: &sa.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + name.count)
        let bound = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, length) } }
        guard bound == 0 else {
            let e = errno
            close(s)
            throw SetupError(description: "bind \(address): errno \(e)")
        }
        // A receive timeout lets the reader notice stop() without a second descriptor.
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let inbox = inbox
        let thread = Thread { Self.readLoop(s, inbox) }
        thread.name = "notify-supervisor"
        thread.start()
    }

    deinit {
        stop()
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// `NOTIFY_SOCKET`, plus `WATCHDOG_USEC` when `watchdogMicroseconds` is given, over the
    /// current environment.
    public func environment(watchdogMicroseconds: UInt64? = nil, extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = address
        env.removeValue(forKey: "WATCHDOG_PID")
        if let w = watchdogMicroseconds { env["WATCHDOG_USEC"] = String(w) } else { env.removeValue(forKey: "WATCHDOG_USEC") }
        env.merge(extra) { _, new in new }
        return env
    }

    /// Every line received so far.
    public var messages: [Message] { inbox.received.withLock { $0 } }

    /// The lines equal to `line` (e.g. "WATCHDOG=1").
    public func times(of line: String) -> [Double] { messages.filter { $0.line == line }.map(\.at) }

    /// The lines starting with `prefix` (e.g. "STATUS=").
    public func lines(startingWith prefix: String) -> [Message] { messages.filter { $0.line.hasPrefix(prefix) } }

    /// Seconds since the supervisor started.
    public var now: Double { Date().timeIntervalSince(inbox.start) }

    /// Polls until `condition` holds or `seconds` pass; its last value.
    public func waitFor(_ seconds: Double, _ condition: (NotifySupervisor) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(self) { return true }
            usleep(50_000)
        }
        return condition(self)
    }

    /// Waits for a line equal to `line` received after `after` seconds (default: any).
    public func waitFor(_ line: String, after: Double = -1, timeout: Double) -> Bool {
        waitFor(timeout) { $0.times(of: line).contains { $0 > after } }
    }

    /// Ends the reader thread (the socket closes with the supervisor).
    public func stop() { inbox.stopped.store(true, ordering: .relaxed) }

    /// A description of what was received, for failing expectations.
    public var transcript: String {
        messages.map { String(format: "%7.3f %@", $0.at, $0.line) }.joined(separator: "\n")
    }

    private static func readLoop(_ fd: Int32, _ inbox: Inbox) {
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !inbox.stopped.load(ordering: .relaxed) {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else {
                if n < 0 && errno != EAGAIN && errno != EINTR && errno != EWOULDBLOCK { return }
                continue
            }
            let at = Date().timeIntervalSince(inbox.start)
            let lines = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").map { Message(line: String($0), at: at) }
            inbox.received.withLock { $0 += lines }
        }
    }
}
