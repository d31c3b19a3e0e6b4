import Records

/// The pins the agents report in their `pin` records (docs/pins.md): which packet-time ranges of
/// which agent are kept out of ring retention, and why. The server lists them and links each to the
/// drill-down of its service and range. Kept in memory, from the records received since the process
/// started (an agent writes a `created` record again for every pin it holds when it restarts;
/// a server restart forgets them until then). Guarded by the correlator's state lock.
struct PinLedger {
    /// agent → pin id → pin.
    private(set) var pins: [String: [String: AgentPin]] = [:]
    /// Pins released or evicted, newest last (the answer says when an incident's pin was dropped).
    private(set) var ended: [AgentPin] = []
    static let maxEnded = 1_000
    static let maxPerAgent = 10_000

    mutating func apply(agent: String, _ r: PinRecord, at now: Double) {
        var pin = pins[agent]?[r.id] ?? AgentPin(agent: agent, id: r.id, from: r.from, to: r.to, reason: r.reason, service: r.service,
                                                 state: r.state, origin: r.origin, lastAction: r.action.rawValue, updated: now)
        pin.from = r.from
        pin.to = r.to
        pin.lastAction = r.action.rawValue
        pin.updated = now
        if r.reason != nil { pin.reason = r.reason }
        switch r.action {
        case .created, .extended:
            guard pins[agent]?[r.id] != nil || (pins[agent]?.count ?? 0) < Self.maxPerAgent else { return }
            pins[agent, default: [:]][r.id] = pin
        case .released, .evicted:
            pins[agent]?[r.id] = nil
            ended.append(pin)
            if ended.count > Self.maxEnded { ended.removeFirst(ended.count - Self.maxEnded) }
        }
    }

    /// Active pins (and, with `ended`, the dropped ones), optionally of one service or agent, newest first.
    func list(service: String?, agent: String?, ended includeEnded: Bool) -> [AgentPin] {
        var out = pins.values.flatMap(\.values)
        if includeEnded { out += ended }
        return out.filter { p in (service == nil || p.service == service) && (agent == nil || p.agent == agent) }
            .sorted { ($0.updated, $0.agent, $0.id) > ($1.updated, $1.agent, $1.id) }
    }
}

/// One agent's pin, as the server knows it.
public struct AgentPin: Sendable, Hashable, Encodable {
    public var agent: String
    public var id: String
    /// Packet time, seconds since 1970.
    public var from: Double
    public var to: Double
    public var reason: String?
    public var service: String?
    public var state: String?
    public var origin: String?
    /// `created`, `extended`, `released`, `evicted`.
    public var lastAction: String
    /// Server time of the last record.
    public var updated: Double
}

extension Correlator {
    /// The agents' pins (docs/pins.md).
    public func agentPins(service: String? = nil, agent: String? = nil, ended: Bool = false) -> [AgentPin] {
        locked { pinLedger.list(service: service, agent: agent, ended: ended) }
    }
}
