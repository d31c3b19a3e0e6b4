/// What the agents report: their views of each service, their liveness and health lines, and the
/// staleness rules that turn silence into UNKNOWN. Guarded by the correlator's state lock (a value
/// owned by `Correlator`).
struct AgentBook {
    /// Staleness of agents and views.
    let merge: ViewMerge
    /// service -> agent -> view.
    private(set) var views: [String: [String: AgentView]] = [:]
    /// agent -> services it has views of (what to re-evaluate when the agent goes stale or revives).
    private var agentServices: [String: Set<String>] = [:]
    var agents: [String: AgentInfo] = [:]
    /// Agent → its last `agent_health` line that came with its own bearer token, since this process
    /// started (not stored): what the drill-down trusts a token agent's `query_api` from.
    private(set) var authenticatedHealth: [String: String] = [:]

    init(merge: ViewMerge, views stored: [AgentView], agents storedAgents: [AgentInfo]) {
        self.merge = merge
        for v in stored { views[v.service, default: [:]][v.agent] = v; agentServices[v.agent, default: []].insert(v.service) }
        for a in storedAgents { agents[a.agent] = a }
    }

    func isFresh(_ agent: AgentInfo?, at now: Double) -> Bool { merge.isFresh(agent, at: now) }

    func services(of agent: String) -> Set<String> { agentServices[agent] ?? [] }

    enum ViewUpdate { case added, replaced, late }

    /// Records an agent's view of a service unless the one held is newer.
    mutating func record(_ view: AgentView) -> ViewUpdate {
        let update = Self.replaceView(in: &views[view.service, default: [:]], with: view)
        // A new view: its agent's list gains the service (a replaced one is already there).
        if update == .added { agentServices[view.agent, default: []].insert(view.service) }
        return update
    }

    /// Puts `view` in its service's views (one per agent) unless the one held is newer: a late
    /// record (lower (epoch, seq)) does not replace it.
    static func replaceView(in perAgent: inout [String: AgentView], with view: AgentView) -> ViewUpdate {
        if let old = perAgent[view.agent] {
            if (old.epoch, old.seq) > (view.epoch, view.seq) { return .late }
            perAgent[view.agent] = view
            return .replaced
        }
        perAgent[view.agent] = view
        return .added
    }

    /// A view another instance stored (shared store); false when the one held is as new or newer.
    mutating func absorb(_ view: AgentView) -> Bool {
        if let old = views[view.service]?[view.agent], (old.epoch, old.seq) >= (view.epoch, view.seq) { return false }
        views[view.service, default: [:]][view.agent] = view
        agentServices[view.agent, default: []].insert(view.service)
        return true
    }

    /// Liveness another instance stored (shared store); true when the agent was stale here.
    mutating func absorb(_ a: AgentInfo, at now: Double) -> Bool {
        var info = agents[a.agent] ?? a
        let wasFresh = merge.isFresh(agents[a.agent], at: now)
        info.lastSeen = max(info.lastSeen, a.lastSeen)
        info.epoch = max(info.epoch, a.epoch)
        if a.health != nil { info.health = a.health }
        agents[a.agent] = info
        return !wasFresh
    }

    /// Remembers a health line that came with the agent's own token.
    mutating func recordAuthenticatedHealth(agent: String, _ line: String) { authenticatedHealth[agent] = line }

    /// The views of `services` updated at `now` (the ones a batch applied), to store.
    func views(of services: Set<String>, updatedAt now: Double) -> [AgentView] {
        var out: [AgentView] = []
        for service in services {
            for v in views[service]!.values where v.updated == now { out.append(v) }
        }
        return out
    }

    /// The leaf input of an endpoint: its agents' fresh views merged.
    func endpointInput(_ id: String, at now: Double) -> LeafInput {
        merge.merge(Array((views[id] ?? [:]).values), agents: agents, at: now)
    }

    /// The leaf input of an agent node: OK while it reports, else UNKNOWN.
    func agentInput(_ id: String, at now: Double) -> LeafInput {
        merge.isFresh(agents[id], at: now) ? LeafInput(state: .ok) : .unknown
    }

    func staleCount(at now: Double) -> Int { agents.values.filter { !merge.isFresh($0, at: now) }.count }
}
