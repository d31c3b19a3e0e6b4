import Foundation

/// The open event streams (SSE clients, the Kafka state-event producer). Its own lock, a leaf:
/// events are published by the store writer in the order changes were stored, outside the state
/// lock.
final class Subscribers: @unchecked Sendable {
    // @unchecked: `continuations` is only touched under `lock`.
    private let lock = NSLock()
    private var continuations: [UUID: AsyncStream<StateChangeEvent>.Continuation] = [:]

    var count: Int { lock.withLock { continuations.count } }

    func add(_ id: UUID, _ c: AsyncStream<StateChangeEvent>.Continuation) { lock.withLock { continuations[id] = c } }

    /// The removed stream, to finish outside the lock.
    func remove(_ id: UUID) -> AsyncStream<StateChangeEvent>.Continuation? { lock.withLock { continuations.removeValue(forKey: id) } }

    /// Every stream, to finish outside the lock.
    func removeAll() -> [AsyncStream<StateChangeEvent>.Continuation] {
        lock.withLock {
            defer { continuations.removeAll() }
            return Array(continuations.values)
        }
    }

    /// Yields without blocking (each stream buffers the newest 1000).
    func publish(_ events: [StateChangeEvent]) {
        guard !events.isEmpty else { return }
        lock.withLock { for e in events { for c in continuations.values { c.yield(e) } } }
    }
}
