import Glibc
import Logging
import Synchronization

/// systemd's notify protocol (`sd_notify(3)`), written here rather than linked from libsystemd:
/// one datagram of `KEY=VALUE` lines sent to the unix socket named by `$NOTIFY_SOCKET`.
///
/// Without `NOTIFY_SOCKET` (not started by systemd, or not `Type=notify`) every call is a no-op.
/// Nothing here throws: a failed send is logged once and forgotten, because a supervisor that
/// went away must never stop a capture.
public final class SystemdNotifier: Sendable {
    /// What the environment asked for, parsed totally: a bad value is ignored with a warning.
    public struct Settings: Sendable, Equatable {
        /// `NOTIFY_SOCKET` as given: a path, or `@name` for the abstract namespace. nil: disabled.
        public var socket: String?
        /// `WATCHDOG_USEC` (systemd's `WatchdogSec`), when the watchdog applies to this process.
        public var watchdogInterval: Duration?
        /// Why a variable was ignored (logged by the notifier).
        public var warnings: [String] = []

        /// Parses `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` as `sd_watchdog_enabled(3)`
        /// does: the watchdog is this process's only when `WATCHDOG_PID` is absent or equal to `pid`.
        public init(environment: [String: String], pid: Int32) {
            if let s = environment["NOTIFY_SOCKET"], !s.isEmpty {
                if s.hasPrefix("/") || s.hasPrefix("@"), s.utf8.count < SystemdNotifier.maxPathBytes, !s.utf8.contains(0) {
                    socket = s
                } else {
                    warnings.append("NOTIFY_SOCKET '\(s)' is neither an absolute path nor @abstract (or is too long): ignored")
                }
            }
            guard let text = environment["WATCHDOG_USEC"] else { return }
            guard let usec = UInt64(text), usec > 0, usec < UInt64(Int64.max) / 1_000 else {
                warnings.append("WATCHDOG_USEC '\(text)' is not a positive number of microseconds: watchdog disabled")
                return
            }
            if let owner = environment["WATCHDOG_PID"] {
                guard let ownerPID = Int32(owner), ownerPID > 0 else {
                    warnings.append("WATCHDOG_PID '\(owner)' is not a process id: watchdog disabled")
                    return
                }
                // Another process of the unit (the main one) pings; not this one.
                guard ownerPID == pid else { return }
            }
            watchdogInterval = .microseconds(Int64(usec))
        }
    }

    /// `sun_path` holds 108 bytes, with the path's terminating NUL.
    static let maxPathBytes = 108

    public let settings: Settings
    private let logger: Logger
    /// The datagram socket, opened on first use; -1 until then or when it could not be opened.
    private let fd = Mutex<Int32>(-1)
    /// A failure is logged once: a supervisor that is gone would otherwise fill the journal.
    private let failureLogged = Atomic<Bool>(false)

    public var isEnabled: Bool { settings.socket != nil }
    /// `WATCHDOG_USEC` when the watchdog is enabled for this process.
    public var watchdogInterval: Duration? { isEnabled ? settings.watchdogInterval : nil }

    public init(settings: Settings, logger: Logger) {
        self.settings = settings
        self.logger = logger
        for w in settings.warnings { logger.warning("systemd: \(w)") }
    }

    /// Reads the process environment (`getenv`, no Foundation).
    public convenience init(logger: Logger) {
        var env: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let v = getenv(name) { env[name] = String(cString: v) }
        }
        self.init(settings: Settings(environment: env, pid: getpid()), logger: logger)
    }

    deinit {
        let s = fd.withLock { $0 }
        if s >= 0 { close(s) }
    }

    /// Startup is finished: systemd moves the unit to "active" (and starts the watchdog clock).
    public func ready(status: String? = nil) {
        send(["READY=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// Shutdown has begun: systemd shows "deactivating" and stops expecting watchdog pings.
    public func stopping(status: String? = nil) {
        send(["STOPPING=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// The process is alive and making progress (resets systemd's `WatchdogSec` timer).
    public func watchdog(status: String? = nil) {
        send(["WATCHDOG=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// The one-line text `systemctl status` shows.
    public func status(_ text: String) {
        send(["STATUS=" + Self.oneLine(text)])
    }

    /// Sends `assignments` as one datagram; false when disabled or not sent (logged once).
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        guard let target = settings.socket, !assignments.isEmpty else { return false }
        let message = assignments.joined(separator: "\n")
        do throws(NotifyError) {
            try sendDatagram(Array(message.utf8), to: target)
            return true
        } catch {
            if !failureLogged.exchange(true, ordering: .relaxed) {
                logger.warning("systemd: cannot notify the service manager (further failures not logged)",
                               metadata: ["error": "\(error)", "socket": "\(target)"])
            }
            return false
        }
    }

    /// A failed system call of the protocol.
    public struct NotifyError: Error, CustomStringConvertible {
        public var operation: String
        public var errno: Int32
        public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
    }

    private func sendDatagram(_ bytes: [UInt8], to target: String) throws(NotifyError) {
        let socketFD = try openSocket()
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // Abstract namespace: a leading NUL instead of '@', and the length counts the name only
        // (no terminating NUL); a path ends with its NUL.
        let abstract = target.hasPrefix("@")
        var path = Array(target.utf8)
        if abstract { path[0] = 0 } else { path.append(0) }
        guard path.count <= Self.maxPathBytes else { throw NotifyError(operation: "socket name too long", errno: ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let sent = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { b in
                    // MSG_DONTWAIT: a receiver whose queue is full must not block the caller (it
                    // may be the capture thread); the datagram is lost and logged instead.
                    sendto(socketFD, b.baseAddress, b.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL), sa, length)
                }
            }
        }
        if sent < 0 { throw NotifyError(operation: "sendto", errno: Glibc.errno) }
    }

    private func openSocket() throws(NotifyError) -> Int32 {
        let result: Int32 = fd.withLock { fd in
            if fd < 0 { fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
            return fd < 0 ? -Glibc.errno : fd
        }
        if result < 0 { throw NotifyError(operation: "socket(AF_UNIX, SOCK_DGRAM)", errno: -result) }
        return result
    }

    /// The protocol is line-based: a newline in a status text would start a new assignment.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
