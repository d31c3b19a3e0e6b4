import Foundation
import Records
import SystemIO

/// What a sink's thread and its controller share: the counters, the stop request and its drain
/// deadline, and whether the thread has ended. One lock guards all of it.
final class SinkRunState: @unchecked Sendable {
    // @unchecked: every property is guarded by `lock`.
    private let lock = ConditionLock()
    private var stats: SinkStats
    private var stopRequested = false
    private var drainDeadline: Int64 = .max
    private var finished = false

    init(name: String) { stats = SinkStats(name: name) }

    /// Starts `body` on a thread of its own named `name`; marks the state finished when it returns.
    func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            body()
            lock.withLock {
                finished = true
                lock.broadcast()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Asks the thread to stop once drained or after `drainSeconds`, and waits until it has.
    func stop(drainSeconds: Double) {
        lock.withLock {
            stopRequested = true
            drainDeadline = monotonicNanos() + Int64(drainSeconds * 1e9)
            lock.broadcast()
            while !finished { lock.wait(seconds: 0.1) }
        }
    }

    /// Whether a stop was requested, and whether its drain time is over.
    var stopping: (requested: Bool, pastDeadline: Bool) {
        lock.withLock { (stopRequested, monotonicNanos() >= drainDeadline) }
    }

    /// Sleeps up to `seconds`, waking early when a stop is requested.
    func pause(seconds: Double) { lock.withLock { if !stopRequested { lock.wait(seconds: seconds) } } }

    func update(_ body: (inout SinkStats) -> Void) { lock.withLock { body(&stats) } }

    /// The destination confirmed `count` records: counted, the last error cleared, the time noted.
    func delivered(_ count: UInt64) {
        let now = Double(WallClock.nanos()) / 1e9
        update {
            $0.delivered &+= count
            $0.lastError = nil
            $0.lastDeliveredAt = now
        }
    }

    func snapshot(pending: UInt64) -> SinkStats {
        var s = lock.withLock { stats }
        s.pending = pending
        return s
    }

    /// Records `error` as the last one; true when it differs from the previous (worth a log line).
    func note(error: String) -> Bool {
        lock.withLock {
            defer { stats.lastError = error }
            return stats.lastError != error
        }
    }
}
