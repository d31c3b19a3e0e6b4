import Foundation

/// From leaf inputs to recorded changes: staleness re-evaluation (`tick`), leaf inputs, and what a
/// status change causes (history, flapping, acknowledgement clearing, events). State lock held by
/// the caller of every method here but `tick`, which is a ``commit(_:)`` of its own.
extension Correlator {
    /// Re-evaluates what depends on the clock: agent and view staleness, maintenance windows,
    /// flapping, old flow records. Call every few seconds (it may wait for a batch being written:
    /// not from the async pool). Returns the events published (none if the write failed: the
    /// next tick makes the same changes).
    @discardableResult
    public func tick() -> [StateChangeEvent] {
        let (outcome, failure) = commit { (change) -> (events: [StateChangeEvent], flowCutoff: Double?, now: Double) in
            let now = clock()
            var changes = board.propagator.setMaintenance(operatorActions.activeMaintenance(at: now))
            changes += refreshAllLeaves(now: now)
            _ = handle(changes, now: now, into: &change)
            board.pruneFlaps(at: now)
            let cutoff = flowLog.dropExpired()
            updateGauges(now: now)
            return (change.events, cutoff, now)
        }
        if failure != nil { return [] }
        if let cutoff = outcome.flowCutoff {
            try? writer.inOrder { try store?.prune(flowsBefore: cutoff, keysBefore: outcome.now - 7 * 86400) }
        }
        let pruneDue = locked { () -> Bool in
            guard outcome.now - lastHistoryPrune >= 60 else { return false }
            lastHistoryPrune = outcome.now
            return true
        }
        if pruneDue { pruneHistory(now: outcome.now) }
        return outcome.events
    }

    /// The leaf input of node `id`: its agents' views merged for an endpoint, liveness for an agent.
    /// The loops below read the graph and the agent book once, not per node: a struct read through
    /// the correlator (a class) per call costs a retain and release of each of its buffers, which
    /// measured ~5 % of server ingest throughput.
    static func leafInput(_ id: String, nodes: [String: Node], book: AgentBook, now: Double) -> LeafInput {
        switch nodes[id]?.kind {
        case .endpoint?: return book.endpointInput(id, at: now)
        case .agent?: return book.agentInput(id, at: now)
        default: return .unknown
        }
    }

    /// The inputs of the endpoint nodes among `services` and of the agent nodes among `agents`.
    func leafInputs(services: Set<String>, agents: Set<String>, now: Double) -> [String: LeafInput] {
        let nodes = board.propagator.graph.nodes, book = agentBook
        var inputs: [String: LeafInput] = [:]
        for s in services where nodes[s]?.kind == .endpoint { inputs[s] = book.endpointInput(s, at: now) }
        for a in agents where nodes[a]?.kind == .agent { inputs[a] = book.agentInput(a, at: now) }
        return inputs
    }

    @discardableResult
    func refreshAllLeaves(now: Double) -> [StatusChange] {
        let nodes = board.propagator.graph.nodes, book = agentBook
        var inputs: [String: LeafInput] = [:]
        for (id, node) in nodes where node.kind == .endpoint || node.kind == .agent {
            inputs[id] = Self.leafInput(id, nodes: nodes, book: book, now: now)
        }
        return board.propagator.setLeaves(inputs)
    }

    /// History, flapping, acknowledgement clearing and events for a list of changes, into the
    /// pending change (the events are published once it is stored); the number of events.
    @discardableResult
    func handle(_ changes: [StatusChange], now: Double, into change: inout PendingChange) -> Int {
        var events: [StateChangeEvent] = []
        var clearAcks: [String] = []
        // Only the final status of each node counts.
        var final: [String: NodeStatus] = [:]
        var order: [String] = []
        for c in changes { if final[c.id] == nil { order.append(c.id) }; final[c.id] = c.new }
        for id in order {
            let s = final[id]!
            guard board.lastStates[id] != s.state, let node = board.propagator.graph.nodes[id] else { continue }
            let previous = board.lastStates[id]
            board.lastStates[id] = s.state
            let flapping = board.recordFlap(id, at: now)
            change.batch.history.append(HistoryEntry(node: id, at: now, state: s.state, previous: previous, causes: s.causes))
            let event = StateChangeEvent(node: id, kind: node.kind, state: s.state, previous: previous, causes: s.causes,
                                         rootCauses: s.rootCauses, flapping: flapping, at: now)
            events.append(event)
            if s.state == .ok, operatorActions.acks[id] != nil { clearAcks.append(id) }
        }
        if !clearAcks.isEmpty {
            for id in clearAcks { operatorActions.setAcknowledgement(nil, node: id) }
            _ = board.propagator.setAcknowledged(operatorActions.acknowledgedNodes)
            change.batch.acknowledgements = Array(operatorActions.acks.values)
        }
        counters.stateChanges += events.count
        change.events += events
        return events.count
    }

    func updateGauges(now: Double) {
        counters.nodes = board.graph.order.count
        var byState: [Health: Int] = [:]
        for s in board.propagator.status.values { byState[s.state, default: 0] += 1 }
        counters.nodesByState = byState
        counters.agents = agentBook.agents.count
        counters.staleAgents = agentBook.staleCount(at: now)
        counters.dependencies = deps.byID.count
        counters.subscribers = subscribers.count
    }
}
