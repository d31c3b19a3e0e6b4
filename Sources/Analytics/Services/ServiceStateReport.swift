/// One `service_state` fact: a transition, or a heartbeat restating the current state.
public struct ServiceStateReport: Sendable, Hashable {
    /// Why the report was made.
    public enum Reason: String, Sendable, Hashable {
        /// The state changed at the end of the window.
        case transition
        /// Periodic restatement: the view is current.
        case heartbeat
    }

    /// The service reported on.
    public var service: ServiceKey
    /// Application last recognised on the service (`.none` when never).
    public var application: ApplicationProtocol
    /// State after the transition (or current state, for heartbeats).
    public var state: ServiceState
    /// State before the transition (equal to ``state`` for heartbeats).
    public var previousState: ServiceState
    /// Transition or heartbeat.
    public var reason: Reason
    /// The window that decided (transition) or the last closed window (heartbeat), packet-time ns.
    public var windowStartNanos: Int64
    public var windowEndNanos: Int64
    /// Packet time at which the service entered ``state`` (end of the deciding window).
    public var sinceNanos: Int64
    /// Evidence of that window.
    public var evidence: WindowEvidence
    /// The tunnel of the first tunnelled flow seen on the service (nil when untunnelled).
    public var tunnel: TunnelSummary? = nil
}
