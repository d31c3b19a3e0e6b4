import Foundation

/// Reads: each takes the state lock for a copy. History, availability and flows are read from the
/// store without any lock (the store serializes its own reads).
extension Correlator {
    public var inventory: Inventory { locked { board.inventory } }

    public func status(_ id: String) -> NodeStatus? { locked { board.propagator.status[id] } }

    public func node(_ id: String) -> Node? { locked { board.graph.nodes[id] } }

    /// The weather: every node of the given kinds (default: services and applications), worst first.
    public func weather(kinds: Set<NodeKind>? = [.service, .application]) -> Weather {
        locked { board.weather(of: board.propagator, kinds: kinds, now: clock()) }
    }

    /// What-if: the whole weather with `node` forced to `state`; the live state is untouched.
    public func whatIf(node: String, state: Health, kinds: Set<NodeKind>? = [.service, .application]) throws(InventoryError) -> Weather {
        try locked { () throws(InventoryError) -> Weather in
            guard board.graph.nodes[node] != nil else { throw InventoryError(.notFound, subject: "node '\(node)'", "no such node") }
            var copy = board.propagator
            copy.force(node, state)
            return board.weather(of: copy, kinds: kinds, now: clock())
        }
    }

    public func isFlapping(_ id: String) -> Bool { locked { board.isFlapping(id, at: clock()) } }

    public func agentViews(service: String) -> [AgentView] {
        locked { (agentBook.views[service] ?? [:]).values.sorted { $0.agent < $1.agent } }
    }

    /// Agent → its last `agent_health` line received with its own token since start (HTTP ingest);
    /// an announcement through Kafka or unauthenticated ingest is not in it.
    public func authenticatedHealthLines() -> [String: String] { locked { agentBook.authenticatedHealth } }

    public func agentList() -> [(info: AgentInfo, fresh: Bool)] {
        locked {
            let now = clock()
            return agentBook.agents.values.sorted { $0.agent < $1.agent }.map { ($0, agentBook.isFresh($0, at: now)) }
        }
    }

    public func history(node: String, limit: Int = 50) -> [HistoryEntry] {
        (try? store?.history(node: node, limit: limit)) ?? []
    }

    /// Share of the last `period` seconds a node spent in each state (from the stored history).
    public func availability(node: String, period: Double) -> [Health: Double] {
        let now = clock()
        guard let t = try? store?.timeInStates(node: node, from: now - period, to: now) else { return [:] }
        return t.mapValues { $0 / period }
    }

    public func recentFlows(service: String?, limit: Int = 100) -> [FlowRecord] {
        if let s = try? store?.flows(service: service, limit: limit) { return s }
        return locked { flowLog.recent(service: service, limit: limit) }
    }

    /// Why the database does not answer, or nil when it does (or the server keeps no database).
    public func databaseProblem() -> String? {
        guard let store else { return nil }
        do {
            try store.ping()
            return nil
        } catch {
            return "\(error)"
        }
    }

    public var metrics: CorrelatorMetrics {
        var m = locked { counters }
        // After releasing the state lock: the store lock may be held by a write in progress.
        m.storageFailures = writer.failureCount
        return m
    }

    public func maintenanceWindows() -> [MaintenanceWindow] { locked { operatorActions.maintenance } }
    public func acknowledgements() -> [Acknowledgement] { locked { operatorActions.acks.values.sorted { $0.node < $1.node } } }
}
