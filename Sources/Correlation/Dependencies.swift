/// Lifecycle of an observed dependency: `new` (seen, not reviewed) → `confirmed` (by a user) →
/// `stale` (not seen for `staleAfter`) → `gone` (not seen for `goneAfter`). Seen again, it is
/// `new` or `confirmed` again. `promoted` once turned into an endpoint node and impact edge.
public enum DependencyStatus: String, Sendable, Codable {
    case new, confirmed, stale, gone
}

/// An observed `client → service` dependency, from `edge` records.
public struct ObservedDependency: Sendable, Hashable, Codable {
    public var id: Int64
    public var client: String
    public var service: String
    public var app: String?
    /// Server time (seconds since 1970) of the first and last `edge` record.
    public var firstSeen: Double
    public var lastSeen: Double
    public var attempts: Int64
    public var transactions: Int64
    public var failures: Int64
    public var agents: [String]
    public var confirmed: Bool
    public var promoted: Bool

    public func status(at now: Double, staleAfter: Double, goneAfter: Double) -> DependencyStatus {
        let age = now - lastSeen
        if age > goneAfter { return .gone }
        if age > staleAfter { return .stale }
        return confirmed ? .confirmed : .new
    }
}

/// The observed dependencies by (client, service).
public struct DependencyBook: Sendable {
    public private(set) var byID: [Int64: ObservedDependency] = [:]
    private var index: [String: Int64] = [:]
    private var nextID: Int64 = 1
    public var staleAfter: Double
    public var goneAfter: Double

    public init(staleAfter: Double = 3600, goneAfter: Double = 7 * 86400, loaded: [ObservedDependency] = []) {
        self.staleAfter = staleAfter; self.goneAfter = goneAfter
        for d in loaded {
            byID[d.id] = d
            index[d.client + " " + d.service] = d.id
            nextID = max(nextID, d.id + 1)
        }
    }

    /// Applies one `edge` record seen at server time `now`; returns the updated dependency.
    @discardableResult
    public mutating func observe(_ e: EdgeRecord, agent: String, at now: Double) -> ObservedDependency {
        let key = e.client + " " + e.service
        var d: ObservedDependency
        if let id = index[key], let existing = byID[id] {
            d = existing
            d.lastSeen = max(d.lastSeen, now)
        } else {
            d = ObservedDependency(id: nextID, client: e.client, service: e.service, app: nil, firstSeen: now, lastSeen: now,
                                   attempts: 0, transactions: 0, failures: 0, agents: [], confirmed: false, promoted: false)
            nextID += 1
            index[key] = d.id
        }
        if let app = e.app { d.app = app }
        d.attempts += e.attempts
        d.transactions += e.transactions
        d.failures += e.failures
        if !d.agents.contains(agent) { d.agents.append(agent); d.agents.sort() }
        byID[d.id] = d
        return d
    }

    @discardableResult
    public mutating func confirm(_ id: Int64) -> ObservedDependency? {
        guard byID[id] != nil else { return nil }
        byID[id]!.confirmed = true
        return byID[id]
    }

    @discardableResult
    public mutating func markPromoted(_ id: Int64) -> ObservedDependency? {
        guard byID[id] != nil else { return nil }
        byID[id]!.promoted = true
        byID[id]!.confirmed = true
        return byID[id]
    }

    public func all() -> [ObservedDependency] { byID.values.sorted { $0.id < $1.id } }
}
