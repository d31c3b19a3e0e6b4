import Records

/// The health of a service as judged from the last windows of evidence: the record vocabulary's
/// `service_state` value (its raw values are the names used in `service_state` records).
public typealias ServiceState = AgentServiceState

extension ServiceState {
    /// Whether this is one of the two "nothing works" states.
    var isFailure: Bool { self == .unreachable || self == .refused }
}
