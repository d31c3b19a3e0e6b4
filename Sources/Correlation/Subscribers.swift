import Foundation

/// The open event streams (SSE clients, the Kafka state-event producer). Guarded by the
/// correlator's state lock, so events are yielded in the order the state changed.
struct Subscribers {
    private var continuations: [UUID: AsyncStream<StateChangeEvent>.Continuation] = [:]

    var count: Int { continuations.count }

    mutating func add(_ id: UUID, _ c: AsyncStream<StateChangeEvent>.Continuation) { continuations[id] = c }

    /// The removed stream, to finish outside the lock.
    mutating func remove(_ id: UUID) -> AsyncStream<StateChangeEvent>.Continuation? { continuations.removeValue(forKey: id) }

    /// Every stream, to finish outside the lock.
    mutating func removeAll() -> [AsyncStream<StateChangeEvent>.Continuation] {
        defer { continuations.removeAll() }
        return Array(continuations.values)
    }

    /// Yields without blocking (each stream buffers the newest 1000).
    func publish(_ events: [StateChangeEvent]) {
        for e in events { for c in continuations.values { c.yield(e) } }
    }
}
