/// The health of a service as an agent judges it from the last windows of evidence: the `state`
/// (and `previous_state`) of a `service_state` record. The agent's state machine produces it
/// (`Analytics.ServiceState` is this type); the server maps it onto its own health scale.
public enum AgentServiceState: String, Codable, Sendable, Hashable, CaseIterable {
    /// Answering, fast enough, few errors.
    case up = "UP"
    /// Answering, but slow (p95 latency above its threshold) or failing too often (error rate
    /// above its threshold).
    case degraded = "DEGRADED"
    /// Attempts or requests go unanswered and none succeeds.
    case unreachable = "UNREACHABLE"
    /// Attempts are answered by a RST or an ICMP unreachable and none succeeds.
    case refused = "REFUSED"
    /// Seen before, but no activity at all for the configured number of windows.
    case idle = "IDLE"
    /// Not enough evidence yet to judge.
    case unknown = "UNKNOWN"

    public var isIdle: Bool { self == .idle }
}
