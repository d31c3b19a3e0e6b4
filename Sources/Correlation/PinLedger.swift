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
        var record = r
        // A released or evicted record may omit what the created one said.
        if let held = pins[agent]?[r.id]?.pin {
            record.reason = r.reason ?? held.reason
            record.service = r.service ?? held.service
            record.state = r.state ?? held.state
            record.origin = r.origin ?? held.origin
        }
        let pin = AgentPin(agent: agent, pin: record, updated: now)
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
        return out.filter { p in (service == nil || p.pin.service == service) && (agent == nil || p.agent == agent) }
            .sorted { ($0.updated, $0.agent, $0.pin.id) > ($1.updated, $1.agent, $1.pin.id) }
    }
}

/// One agent's pin, as the server knows it: its last record.
public struct AgentPin: Sendable, Hashable {
    public var agent: String
    /// The last `pin` record (its action: `created`, `extended`, `released`, `evicted`).
    public var pin: PinRecord
    /// Server time of that record.
    public var updated: Double
}

extension Correlator {
    /// The agents' pins (docs/pins.md).
    public func agentPins(service: String? = nil, agent: String? = nil, ended: Bool = false) -> [AgentPin] {
        locked { pinLedger.list(service: service, agent: agent, ended: ended) }
    }
}
