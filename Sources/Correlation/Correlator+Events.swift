import Foundation

/// Event streams of state changes (SSE, the Kafka state-event producer). Streams are finished
/// outside every lock (finishing runs the stream's termination handler).
extension Correlator {
    /// A stream of state changes until `unsubscribe`.
    public func subscribe() -> (UUID, AsyncStream<StateChangeEvent>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<StateChangeEvent>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        subscribers.add(id, continuation)
        locked { counters.subscribers = subscribers.count }
        return (id, stream)
    }

    /// Ends every event stream (shutdown).
    public func closeSubscribers() {
        let all = subscribers.removeAll()
        locked { counters.subscribers = 0 }
        for c in all { c.finish() }
    }

    public func unsubscribe(_ id: UUID) {
        let c = subscribers.remove(id)
        locked { counters.subscribers = subscribers.count }
        c?.finish()
    }
}
