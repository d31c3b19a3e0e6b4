/// Decides when to emit `service_seen`: the first observation of a service, then again when it
/// is still active after each re-announce interval (so a receiver that lost the first record, or
/// started later, learns it).
///
/// Owned by the analytics thread; not thread-safe.
public final class ServiceSeenTracker {
    /// One announcement to make.
    public struct Announcement: Sendable, Hashable {
        /// The service and its application (`.none` when not recognised yet).
        public var service: ServiceKey
        public var application: ApplicationProtocol
        /// Packet time the service was first observed (by this agent epoch).
        public var firstSeenNanos: Int64
        /// Packet time of the observation that triggered the announcement.
        public var nanos: Int64
        /// Whether this is a re-announcement.
        public var isReannouncement: Bool
        /// The tunnel of the service's first tunnelled observation (nil when untunnelled).
        public var tunnel: TunnelSummary? = nil
    }

    private struct Entry {
        var firstSeen: Int64
        var lastAnnounced: Int64
        var lastSeen: Int64
        var application: ApplicationProtocol
        var tunnel: TunnelSummary?
    }

    /// Re-announce interval, packet-time ns. Default 1 h.
    public let reannounceNanos: Int64
    /// Most services remembered; beyond it, services unseen for a re-announce interval are
    /// pruned, and if that frees nothing new services are not announced (counted).
    public let maxServices: Int
    /// New services not announced because the table was full.
    public private(set) var overflow: UInt64 = 0
    private var entries: [ServiceKey: Entry] = [:]
    private var lastPruneNanos = Int64.min / 2

    public init(reannounceNanos: Int64 = 3_600_000_000_000, maxServices: Int = 100_000) {
        self.reannounceNanos = reannounceNanos
        self.maxServices = maxServices
    }

    /// Notes an observation; returns the announcement to emit, if any. A new application on a
    /// known service is announced too.
    public func note(_ service: ServiceKey, application: ApplicationProtocol, at nanos: Int64,
                     tunnel: TunnelSummary? = nil) -> Announcement? {
        if var e = entries[service] {
            if e.tunnel == nil, let tunnel { e.tunnel = tunnel }
            e.lastSeen = max(e.lastSeen, nanos)
            let newApp = application != .none && application != e.application
            if newApp { e.application = application }
            let due = nanos - e.lastAnnounced >= reannounceNanos
            if due || newApp { e.lastAnnounced = nanos }
            entries[service] = e
            guard due || newApp else { return nil }
            return Announcement(service: service, application: e.application, firstSeenNanos: e.firstSeen,
                                nanos: nanos, isReannouncement: true, tunnel: e.tunnel)
        }
        // Pruning walks the whole table: at most once a minute of packet time.
        if entries.count >= maxServices && nanos - lastPruneNanos >= 60_000_000_000 {
            lastPruneNanos = nanos
            entries = entries.filter { $0.value.lastSeen >= nanos - reannounceNanos }
        }
        guard entries.count < maxServices else {
            overflow += 1
            return nil
        }
        entries[service] = Entry(firstSeen: nanos, lastAnnounced: nanos, lastSeen: nanos, application: application,
                                 tunnel: tunnel)
        return Announcement(service: service, application: application, firstSeenNanos: nanos, nanos: nanos,
                            isReannouncement: false, tunnel: tunnel)
    }

}
