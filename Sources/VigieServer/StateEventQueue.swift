import Foundation
import Observability
import Logging

/// A bounded queue of encoded state changes between the correlator's event stream and the Kafka
/// producer thread. Full: the oldest message is dropped (and counted): the newest state matters.
final class StateEventQueue: @unchecked Sendable {
    // @unchecked: `messages` and `closed` are only touched under `condition`.
    struct Message: Sendable { var key: [UInt8]; var payload: [UInt8] }

    private let condition = NSCondition()
    private var messages: [Message] = []
    private var head = 0
    private var closed = false
    private let capacity: Int
    private let stats: StateEventKafkaStats

    init(capacity: Int, stats: StateEventKafkaStats) {
        self.capacity = capacity
        self.stats = stats
    }

    func push(_ message: Message) {
        condition.withLock {
            if messages.count - head >= capacity {
                head += 1
                stats.dropped()
            }
            messages.append(message)
            condition.signal()
        }
    }

    /// No more pushes: ``take(max:waitSeconds:)`` returns what is left, then nil.
    func close() { condition.withLock { closed = true; condition.broadcast() } }

    /// Up to `max` messages, waiting up to `waitSeconds` for one; [] on timeout; nil once closed and empty.
    func take(max: Int, waitSeconds: Double) -> [Message]? {
        condition.withLock {
            let deadline = Date().addingTimeInterval(waitSeconds)
            while head == messages.count && !closed {
                if !condition.wait(until: deadline) { break }
            }
            if head == messages.count { return closed ? nil : [] }
            let end = min(messages.count, head + max)
            let batch = Array(messages[head..<end])
            head = end
            if head == messages.count || head > 4096 {
                messages.removeFirst(head)
                head = 0
            }
            return batch
        }
    }
}

/// Counters of the Kafka topic of state changes (`/metrics`), and rate-limited failure logging.
final class StateEventKafkaStats: @unchecked Sendable {
    // @unchecked: every field is only touched under `lock`.
    private let lock = NSLock()
    private var producedCount = 0, deliveredCount = 0, failedCount = 0, droppedCount = 0
    private var lastLog: Date?

    func produced() { lock.withLock { producedCount += 1 } }
    func delivered(_ n: Int) { lock.withLock { deliveredCount += n } }
    func dropped() { lock.withLock { droppedCount += 1 } }

    /// Counts a failed message; logs at most one failure every 10 s (with the count so far).
    func failed(_ why: String, _ logger: Logger) {
        let (log, total) = lock.withLock { () -> (Bool, Int) in
            failedCount += 1
            let now = Date()
            let log = lastLog.map { now.timeIntervalSince($0) >= 10 } ?? true
            if log { lastLog = now }
            return (log, failedCount)
        }
        if log { logger.warning("state change not delivered to Kafka", metadata: ["error": "\(why)", "failed_total": "\(total)"]) }
    }

    /// Mirrors the counters into the server's metrics.
    func record(into mirror: SnapshotMirror) {
        let (p, d, f, x) = lock.withLock { (producedCount, deliveredCount, failedCount, droppedCount) }
        mirror.total("vigie_server_events_kafka_produced_total", UInt64(p))
        mirror.total("vigie_server_events_kafka_delivered_total", UInt64(d))
        mirror.total("vigie_server_events_kafka_failed_total", UInt64(f))
        mirror.total("vigie_server_events_kafka_dropped_total", UInt64(x))
    }
}
