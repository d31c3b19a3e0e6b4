/// The health of a service as judged from the last windows of evidence.
///
/// The raw values are the names used in `service_state` records.
public enum ServiceState: String, Sendable, Hashable, CaseIterable {
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

    /// Whether this is one of the two "nothing works" states.
    var isFailure: Bool { self == .unreachable || self == .refused }
}
