import Analytics
import Transport

extension SinkHealth {
    /// A sink's counters as `agent_health` writes them.
    init(_ s: SinkStats) {
        self.init(name: s.name)
        delivered = s.delivered
        pending = s.pending
        retried = s.retried
        deadLettered = s.deadLettered
        authFailures = s.authFailures
        lastError = s.lastError
    }
}
