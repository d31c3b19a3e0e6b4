import Synchronization

/// Per-service judgement thresholds and hysteresis (how many consecutive windows a new verdict
/// must hold before the state changes). Defaults are documented on each field and in
/// `docs/records.md`.
public struct ServiceThresholds: Sendable, Hashable {
    /// Outcome events (connection outcomes + transactions) a window needs before it votes.
    /// Windows with fewer (but some) events keep the current state. Default 2.
    public var minEvidence: Int = 2
    /// Error rate above which the service is DEGRADED: (refused + unanswered + transaction
    /// errors) / (connection outcomes + transactions). Default 0.10.
    public var maxErrorRate: Double = 0.10
    /// p95 of the handshake RTT (server leg) above which the service is DEGRADED. Default 250 ms.
    public var maxRTTP95Nanos: Int64 = 250_000_000
    /// p95 of the application response time above which the service is DEGRADED. Default 1 s.
    public var maxResponseP95Nanos: Int64 = 1_000_000_000
    /// Empty windows after which a service that was seen becomes IDLE. Default 6 (one minute
    /// with 10 s windows).
    public var idleWindows: Int = 6
    /// Consecutive DEGRADED verdicts needed to leave UP. Default 2: one slow window (a GC pause,
    /// a backup) is not worth an alert.
    public var windowsToDegrade: Int = 2
    /// Consecutive UNREACHABLE/REFUSED verdicts needed to enter those states. Default 1: the
    /// verdict already requires that every attempt of the window failed, which is strong evidence.
    public var windowsToFail: Int = 1
    /// Consecutive UP verdicts needed to return to UP from UNREACHABLE, REFUSED, IDLE or UNKNOWN.
    /// Default 1: a success is unambiguous.
    public var windowsToRecover: Int = 1
    /// Consecutive UP verdicts needed to return to UP from DEGRADED. Default 2, against flapping.
    public var windowsDegradedToUp: Int = 2

    public init() {}

    /// Windows a verdict `to` must hold, coming from `from`.
    func windowsNeeded(from: ServiceState, to: ServiceState) -> Int {
        switch to {
        case .unreachable, .refused: return windowsToFail
        case .degraded: return from == .up ? windowsToDegrade : 1
        case .up: return from == .degraded ? windowsDegradedToUp : windowsToRecover
        case .idle, .unknown: return 1
        }
    }
}

/// Configuration of the service-state machines (all times in packet-time nanoseconds).
public struct ServiceStateConfig: Sendable {
    /// Window length; windows are aligned on multiples of it since the Unix epoch. Default 10 s.
    public var windowNanos: Int64 = 10_000_000_000
    /// Interval of the heartbeat (`service_state` with `reason: "heartbeat"` for every tracked
    /// service), aligned like windows. Default 60 s.
    public var heartbeatNanos: Int64 = 60_000_000_000
    /// A service without activity for this long is forgotten (after it went IDLE). Default 1 h.
    public var forgetAfterNanos: Int64 = 3_600_000_000_000
    /// Most services tracked at once; observations of new services beyond it are counted and
    /// ignored. Default 100 000.
    public var maxServices: Int = 100_000
    /// Latency samples kept per window and per service for the percentiles (reservoir sampling
    /// beyond). Default 1024.
    public var maxLatencySamples: Int = 1024
    /// Thresholds of services without an override.
    public var defaults = ServiceThresholds()
    /// Overrides by service id (`10.0.0.5:443/tcp`); checked first.
    public var serviceOverrides: [String: ServiceThresholds] = [:]
    /// Overrides by `port/transport` (`443/tcp`).
    public var portOverrides: [String: ServiceThresholds] = [:]

    public init() {}

    /// Every service's thresholds: the defaults and the overrides of `set`.
    public mutating func use(_ set: ServiceThresholdSet) {
        defaults = set.defaults
        serviceOverrides = set.services
        portOverrides = set.ports
    }

    /// The thresholds that apply to `service`: its own override, else its port's, else defaults.
    public func thresholds(for service: ServiceKey) -> ServiceThresholds {
        if !serviceOverrides.isEmpty, let own = serviceOverrides[service.id] { return own }
        if !portOverrides.isEmpty, let port = portOverrides["\(service.port)/\(service.transport.name)"] {
            return port
        }
        return defaults
    }
}

/// The thresholds of every service: defaults, then overrides by service id and by port
/// (`services:` in the agent configuration, docs/configuration.md).
public struct ServiceThresholdSet: Sendable, Hashable {
    public var defaults = ServiceThresholds()
    /// By service id (`10.0.0.5:443/tcp`).
    public var services: [String: ServiceThresholds] = [:]
    /// By `port/transport` (`443/tcp`).
    public var ports: [String: ServiceThresholds] = [:]

    public init() {}
}

/// Hands new thresholds from any thread to the thread that owns the ``ServiceMonitor`` (the
/// record merger's): posted once, taken at the next packet-time advance. The check on that path
/// is one relaxed atomic load.
public final class ThresholdMailbox: Sendable {
    private let pending = Mutex<ServiceThresholdSet?>(nil)
    private let posted = Atomic<Bool>(false)

    public init() {}

    public func post(_ set: ServiceThresholdSet) {
        pending.withLock { $0 = set }
        posted.store(true, ordering: .releasing)
    }

    @inline(__always)
    func take() -> ServiceThresholdSet? {
        guard posted.load(ordering: .relaxed) else { return nil }
        posted.store(false, ordering: .relaxed)
        return pending.withLock { p in defer { p = nil }; return p }
    }
}
