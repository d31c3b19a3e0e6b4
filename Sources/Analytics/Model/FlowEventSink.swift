/// Where the flow tracker delivers what it learns. Called synchronously on the analytics thread,
/// in packet-time order; implementations must not block.
public protocol FlowEventSink: AnyObject {
    /// A flow ended (or an interim report on a long flow).
    func connection(_ summary: ConnSummary)
    /// An application transaction completed (or was given up as unanswered).
    func transaction(_ summary: TransactionSummary)
    /// A service-level fact (attempt, outcome, transaction, traffic).
    func observe(_ observation: ServiceObservation)
    /// Packet time advanced to `nanos` (called at least once per second of packet time even on an
    /// idle link, so windowed consumers can close windows).
    func clock(_ nanos: Int64)
}
