import Foundation

/// Event streams of state changes (SSE, the Kafka state-event producer). Streams are finished
/// outside the state lock (finishing runs the stream's termination handler).
extension Correlator {
    /// A stream of state changes until `unsubscribe`.
    public func subscribe() -> (UUID, AsyncStream<StateChangeEvent>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<StateChangeEvent>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        locked { subscribers.add(id, continuation); counters.subscribers = subscribers.count }
        return (id, stream)
    }

    /// Ends every event stream (shutdown).
    public func closeSubscribers() {
        let all = locked { () -> [AsyncStream<StateChangeEvent>.Continuation] in
            defer { counters.subscribers = 0 }
            return subscribers.removeAll()
        }
        for c in all { c.finish() }
    }

    public func unsubscribe(_ id: UUID) {
        let c = locked { () -> AsyncStream<StateChangeEvent>.Continuation? in
            defer { counters.subscribers = subscribers.count }
            return subscribers.remove(id)
        }
        c?.finish()
    }
}
