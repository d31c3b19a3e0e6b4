/// The state of one service, judged window by window with hysteresis.
///
/// Owned by the analytics thread (through ``ServiceMonitor``); not thread-safe.
public final class ServiceStateMachine {
    /// The service judged.
    public let service: ServiceKey
    /// The tunnel of the first tunnelled observation (nil when untunnelled).
    public private(set) var tunnel: TunnelSummary?
    /// Its thresholds (resolved when it is created, overrides included; replaced when the
    /// configuration changes: ``ServiceMonitor/replaceThresholds(_:)``).
    public internal(set) var thresholds: ServiceThresholds
    /// Application last recognised on it.
    public private(set) var application: ApplicationProtocol = .none
    /// Current state (changes only at window ends).
    public private(set) var state: ServiceState = .unknown
    /// Packet time the current state was entered (0 while UNKNOWN since creation).
    public private(set) var sinceNanos: Int64 = 0
    /// Packet time of the last observation.
    public private(set) var lastActivityNanos: Int64 = 0
    /// Evidence of the last closed window (for heartbeats).
    public private(set) var lastEvidence = WindowEvidence()

    private var current = WindowEvidence()
    private var rtt = LatencySamples()
    private var response = LatencySamples()
    private let sampleCapacity: Int
    /// The verdict being confirmed and how many consecutive windows it has held.
    private var candidate: ServiceState?
    private var candidateWindows = 0
    private var quietWindows = 0

    public init(service: ServiceKey, thresholds: ServiceThresholds, maxLatencySamples: Int = 1024) {
        self.service = service
        self.thresholds = thresholds
        self.sampleCapacity = max(1, maxLatencySamples)
    }

    /// Adds one observation to the open window.
    public func observe(_ o: ServiceObservation) {
        lastActivityNanos = max(lastActivityNanos, o.timeNanos)
        if tunnel == nil, let t = o.tunnel { tunnel = t }
        if o.application != .none { application = o.application }
        switch o.kind {
        case .attempt: current.attempts += 1
        case .established:
            current.established += 1
            rtt.add(o.latencyNanos, capacity: sampleCapacity)
        case .refused: current.refused += 1
        case .unanswered: current.unanswered += 1
        case .reset: current.resets += 1
        case .transaction:
            current.transactions += 1
            if o.isError { current.transactionErrors += 1 }
            if o.latencyNanos >= 0 { response.add(o.latencyNanos, capacity: sampleCapacity) }
        case .traffic:
            current.trafficReports += 1
            if o.service.transport != .tcp && o.bytesToClient > 0 { current.answered += 1 }
        }
    }

    /// Closes the window `[start, end)`; returns a transition report when the state changes.
    public func closeWindow(start: Int64, end: Int64) -> ServiceStateReport? {
        var evidence = current
        let r = rtt.percentiles([0.5, 0.95, 0.99])
        if r.count == 3 { (evidence.rttP50, evidence.rttP95, evidence.rttP99) = (r[0], r[1], r[2]) }
        let t = response.percentiles([0.5, 0.95, 0.99])
        if t.count == 3 {
            (evidence.responseP50, evidence.responseP95, evidence.responseP99) = (t[0], t[1], t[2])
        }
        current = WindowEvidence()
        rtt.reset()
        response.reset()
        lastEvidence = evidence
        return decide(verdict(evidence), evidence: evidence, start: start, end: end)
    }

    /// The state this window's evidence alone points to, or `nil` when it does not vote.
    func verdict(_ e: WindowEvidence) -> ServiceState? {
        if e.activity == 0 {
            quietWindows += 1
            // A machine exists only once its service was observed, so silence here means IDLE.
            return state != .idle && quietWindows >= thresholds.idleWindows ? .idle : nil
        }
        quietWindows = 0
        guard e.outcomes >= thresholds.minEvidence else { return nil }
        if e.successes == 0 && e.refused + e.unanswered > 0 {
            return e.refused >= e.unanswered ? .refused : .unreachable
        }
        if e.errorRate > thresholds.maxErrorRate
            || e.rttP95 > thresholds.maxRTTP95Nanos
            || e.responseP95 > thresholds.maxResponseP95Nanos {
            return .degraded
        }
        return .up
    }

    private func decide(_ verdict: ServiceState?, evidence: WindowEvidence,
                        start: Int64, end: Int64) -> ServiceStateReport? {
        guard let verdict else {
            // A window that does not vote breaks no streak but extends none either; silence does
            // reset a pending non-idle verdict, since the evidence for it is no longer fresh.
            if evidence.activity == 0 && candidate != .idle { candidate = nil; candidateWindows = 0 }
            return nil
        }
        if verdict == state {
            candidate = nil
            candidateWindows = 0
            return nil
        }
        if verdict == candidate { candidateWindows += 1 } else { candidate = verdict; candidateWindows = 1 }
        // Leaving UNKNOWN or IDLE there is no established state to protect: the first vote wins.
        let needed = (state == .unknown || state == .idle) ? 1
            : thresholds.windowsNeeded(from: state, to: verdict)
        guard candidateWindows >= needed else { return nil }
        let previous = state
        state = verdict
        sinceNanos = end
        candidate = nil
        candidateWindows = 0
        return ServiceStateReport(
            service: service, application: application, state: verdict, previousState: previous,
            reason: .transition, windowStartNanos: start, windowEndNanos: end, sinceNanos: end,
            evidence: evidence, tunnel: tunnel)
    }

    /// A heartbeat restating the current state with the last window's evidence.
    public func heartbeat(windowStart: Int64, windowEnd: Int64) -> ServiceStateReport {
        ServiceStateReport(
            service: service, application: application, state: state, previousState: state,
            reason: .heartbeat, windowStartNanos: windowStart, windowEndNanos: windowEnd,
            sinceNanos: sinceNanos, evidence: lastEvidence, tunnel: tunnel)
    }
}
