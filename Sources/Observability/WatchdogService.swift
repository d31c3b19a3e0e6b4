import Logging
import ServiceLifecycle

/// Pings systemd's watchdog while the process makes progress, and keeps its status line fresh.
///
/// Every half `WATCHDOG_USEC` it reads `progress`, a counter the watched work bumps as it goes (the
/// agent: each pass of the capture loop's periodic work; the server: each tick), and sends
/// `WATCHDOG=1` only if the counter moved since the previous check. A thread that is stuck stops
/// the pings, and systemd restarts the service after `WatchdogSec`; a process that is merely alive
/// (its async tasks still running) does not hide it. With each check it sends `STATUS=` with
/// `status()` (what `systemctl status` shows), prefixed with how long progress has stalled.
///
/// Without `WATCHDOG_USEC` it only refreshes the status, every `statusInterval` (no judgement of
/// progress: nothing would be withheld); without
/// `NOTIFY_SOCKET` it does nothing but wait for shutdown. At graceful shutdown it sends
/// `STOPPING=1`: put it last in the `ServiceGroup`, which tells the last service first.
public struct WatchdogService: Service {
    private let notifier: SystemdNotifier
    private let progress: @Sendable () -> UInt64
    private let statusText: @Sendable () -> String
    private let statusInterval: Duration
    private let logger: Logger
    /// What is watched, for the log lines ("capture", "server tick").
    private let subject: String

    public init(notifier: SystemdNotifier, subject: String, statusInterval: Duration = .seconds(5), logger: Logger,
                progress: @escaping @Sendable () -> UInt64, status: @escaping @Sendable () -> String) {
        self.notifier = notifier
        self.subject = subject
        self.statusInterval = statusInterval
        self.logger = logger
        self.progress = progress
        self.statusText = status
    }

    /// Time between checks: half the watchdog timeout (as `sd_watchdog_enabled(3)` advises), so
    /// one late check still arrives in time; else the status refresh period.
    public var checkInterval: Duration? {
        guard notifier.isEnabled else { return nil }
        if let w = notifier.watchdogInterval { return w / 2 }
        return statusInterval
    }

    public func run() async throws {
        guard let interval = checkInterval else {
            // Nothing to tell anyone; a service that returns early would end the whole group.
            try? await gracefulShutdown()
            return
        }
        let watchdog = notifier.watchdogInterval != nil
        // A first ping at once: the work has just started (READY is sent by whoever starts it).
        if watchdog { notifier.watchdog(status: statusText()) } else { notifier.status(statusText()) }
        try? await cancelWhenGracefulShutdown {
            var tracker = ProgressTracker(initial: progress(), now: .now)
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                check(&tracker, watchdog: watchdog)
            }
        }
        notifier.stopping(status: "stopping")
    }

    /// One check: reads the progress, pings if it moved, refreshes the status (`now`: the tests' clock).
    func check(_ tracker: inout ProgressTracker, watchdog: Bool, now: ContinuousClock.Instant = .now) {
        // Without a watchdog nothing is withheld, and the status period need not exceed the
        // work's own period (the server's tick): no judgement of progress, the status only.
        guard watchdog else { return notifier.status(statusText()) }
        switch tracker.observe(progress(), now: now) {
        case .advancing:
            break
        case .resumed(let after):
            logger.notice("\(subject) progress resumed", metadata: ["stalled_seconds": "\(Self.seconds(after))"])
        case .stalled(let since, let first):
            if first {
                logger.warning("\(subject) is not progressing: the systemd watchdog is no longer pinged",
                               metadata: ["stalled_seconds": "\(Self.seconds(since))"])
            }
        }
        var text = statusText()
        if let stalled = tracker.stalledFor(now: now) { text = "\(subject) stalled for \(Self.seconds(stalled)) s; " + text }
        if tracker.isStalled { notifier.status(text) } else { notifier.watchdog(status: text) }
    }

    /// Whole seconds and tenths, for logs and the status line.
    static func seconds(_ d: Duration) -> String {
        let tenths = d.components.seconds * 10 + d.components.attoseconds / 100_000_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// Whether a counter moved between two looks, and since when it has not.
struct ProgressTracker {
    enum Observation: Equatable {
        case advancing
        /// It moves again, after standing still for this long.
        case resumed(after: Duration)
        /// It stands still, for this long; `first` on the first look that saw it so.
        case stalled(for: Duration, first: Bool)
    }

    private var last: UInt64
    private var lastAdvance: ContinuousClock.Instant
    private(set) var isStalled = false

    init(initial: UInt64, now: ContinuousClock.Instant) {
        last = initial
        lastAdvance = now
    }

    mutating func observe(_ value: UInt64, now: ContinuousClock.Instant) -> Observation {
        if value != last {
            last = value
            let stood = now - lastAdvance
            lastAdvance = now
            if isStalled {
                isStalled = false
                return .resumed(after: stood)
            }
            return .advancing
        }
        let first = !isStalled
        isStalled = true
        return .stalled(for: now - lastAdvance, first: first)
    }

    func stalledFor(now: ContinuousClock.Instant) -> Duration? {
        isStalled ? now - lastAdvance : nil
    }
}
