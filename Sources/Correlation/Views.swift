/// One agent's latest view of one service (its last `service_state`).
public struct AgentView: Sendable, Hashable, Codable {
    public var agent: String
    public var service: String
    public var state: AgentServiceState
    /// Server time of the last `service_state` (seconds since 1970).
    public var updated: Double
    /// Packet time of that record.
    public var ts: Double
    /// Its (epoch, seq): a record of the same agent with a lower pair (a late arrival) does not replace the view.
    public var epoch: Int64 = 0
    public var seq: Int64 = 0
}

/// What the server knows of an agent.
public struct AgentInfo: Sendable, Hashable, Codable {
    public var agent: String
    /// Server time of its last record of any kind.
    public var lastSeen: Double
    public var epoch: Int64
    /// Its last `agent_health` record, as received.
    public var health: String?
}

/// Merge of several agents' views of one endpoint.
///
/// A view is **fresh** when its agent sent any record within `agentStaleAfter` and the view itself
/// (heartbeats every 60 s) was updated within `viewStaleAfter`. The endpoint's state is the
/// **worst of the fresh known views** (an agent reporting UNKNOWN adds nothing); with no fresh
/// known view it is UNKNOWN — a silent agent never makes anything DOWN. It is idle when every
/// fresh known view is IDLE; its causes are the agents whose view decided a bad state.
public struct ViewMerge: Sendable {
    public var agentStaleAfter: Double
    public var viewStaleAfter: Double

    public init(agentStaleAfter: Double = 180, viewStaleAfter: Double = 600) {
        self.agentStaleAfter = agentStaleAfter; self.viewStaleAfter = viewStaleAfter
    }

    public func isFresh(_ agent: AgentInfo?, at now: Double) -> Bool {
        guard let agent else { return false }
        return now - agent.lastSeen <= agentStaleAfter
    }

    public func merge(_ views: [AgentView], agents: [String: AgentInfo], at now: Double) -> LeafInput {
        let fresh = views.filter { isFresh(agents[$0.agent], at: now) && now - $0.updated <= viewStaleAfter && $0.state.health.isKnown }
        guard let worst = fresh.map({ $0.state.health.severity! }).max() else { return .unknown }
        let state = Health(severity: worst)
        let causes = state == .ok ? [] : fresh.filter { $0.state.health == state }.map(\.agent).sorted()
        return LeafInput(state: state, causes: causes, idle: fresh.allSatisfy { $0.state.isIdle })
    }
}
