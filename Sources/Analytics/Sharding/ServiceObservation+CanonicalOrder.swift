extension ServiceObservation {
    /// A total order on observations by time, then content: the order the merger applies a mark's
    /// observations in, so ties in time (common with microsecond captures) do not depend on which
    /// worker made them or when. Observations equal under it are interchangeable.
    static func canonicalOrder(_ a: ServiceObservation, _ b: ServiceObservation) -> Bool {
        if a.timeNanos != b.timeNanos { return a.timeNanos < b.timeNanos }
        if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
        if a.client != b.client { return a.client < b.client }
        if a.service.address != b.service.address { return a.service.address < b.service.address }
        if a.service.port != b.service.port { return a.service.port < b.service.port }
        if a.service.transport != b.service.transport { return a.service.transport.rawValue < b.service.transport.rawValue }
        if a.service.tenant != b.service.tenant { return a.service.tenant < b.service.tenant }
        if a.application != b.application { return a.application.rawValue < b.application.rawValue }
        if a.latencyNanos != b.latencyNanos { return a.latencyNanos < b.latencyNanos }
        if a.isError != b.isError { return !a.isError }
        if a.bytesToServer != b.bytesToServer { return a.bytesToServer < b.bytesToServer }
        if a.bytesToClient != b.bytesToClient { return a.bytesToClient < b.bytesToClient }
        return a.retransmissions < b.retransmissions
    }
}
