/// Public makers of the report types the record encoder takes, so tools outside the module
/// (`vigie-bench records`) can encode realistic records without running the aggregation that
/// normally makes them. (Their memberwise initialisers are internal, and an extension cannot
/// redeclare them as public.)
extension EdgeReport {
    public static func make(edge: EdgeKey, application: ApplicationProtocol, intervalStartNanos: Int64, intervalEndNanos: Int64,
                            counters: EdgeCounters, tunnel: TunnelSummary? = nil) -> EdgeReport {
        EdgeReport(edge: edge, application: application, intervalStartNanos: intervalStartNanos,
                   intervalEndNanos: intervalEndNanos, counters: counters, tunnel: tunnel)
    }
}

extension ServiceStateReport {
    public static func make(service: ServiceKey, application: ApplicationProtocol, state: ServiceState, previousState: ServiceState,
                            reason: Reason, windowStartNanos: Int64, windowEndNanos: Int64, sinceNanos: Int64,
                            evidence: WindowEvidence, tunnel: TunnelSummary? = nil) -> ServiceStateReport {
        ServiceStateReport(service: service, application: application, state: state, previousState: previousState,
                           reason: reason, windowStartNanos: windowStartNanos, windowEndNanos: windowEndNanos,
                           sinceNanos: sinceNanos, evidence: evidence, tunnel: tunnel)
    }
}

extension ServiceSeenTracker.Announcement {
    public static func make(service: ServiceKey, application: ApplicationProtocol, firstSeenNanos: Int64, nanos: Int64,
                            isReannouncement: Bool, tunnel: TunnelSummary? = nil) -> Self {
        Self(service: service, application: application, firstSeenNanos: firstSeenNanos, nanos: nanos,
             isReannouncement: isReannouncement, tunnel: tunnel)
    }
}

extension RecordEmitter.Stats {
    /// Zero counters (what an emitter starts with); the implicit `init()` is internal.
    public static var zero: RecordEmitter.Stats { RecordEmitter.Stats() }
}
