/// The computed weather: the inventory, its `Propagator` (every node's status), the last state
/// recorded in the history per node, and flapping. Guarded by the correlator's state lock (a value
/// owned by `Correlator`).
struct StateBoard {
    private(set) var inventory: Inventory
    var propagator: Propagator
    /// The last state written to the history per node: a change is a status whose state differs.
    var lastStates: [String: Health]
    private(set) var flaps: FlapDetector

    init(inventory: Inventory, flaps: FlapDetector, lastStates: [String: Health]) {
        self.inventory = inventory
        propagator = Propagator(graph: Graph(inventory))
        self.flaps = flaps
        self.lastStates = lastStates
    }

    var graph: Graph { propagator.graph }

    /// Installs a validated inventory: the graph changes, leaves keep their inputs.
    mutating func install(_ inv: Inventory) -> [StatusChange] {
        inventory = inv
        return propagator.setGraph(Graph(inv))
    }

    /// Counts a state change for flapping; true when the node flaps now.
    mutating func recordFlap(_ id: String, at now: Double) -> Bool { flaps.record(id, at: now) }

    mutating func pruneFlaps(at now: Double) { flaps.prune(at: now) }

    func isFlapping(_ id: String, at now: Double) -> Bool { flaps.isFlapping(id, at: now) }

    /// The weather of `p` (the live propagator or a what-if copy), worst first.
    func weather(of p: Propagator, kinds: Set<NodeKind>?, now: Double) -> Weather {
        var entries: [WeatherEntry] = []
        for id in p.graph.order {
            let node = p.graph.nodes[id]!
            guard kinds == nil || kinds!.contains(node.kind), let s = p.status[id] else { continue }
            entries.append(WeatherEntry(id: id, kind: node.kind, name: node.name, state: s.state, coverage: s.coverage, causes: s.causes,
                                        rootCauses: s.rootCauses, score: s.score, idle: s.idle, maintenance: s.maintenance,
                                        acknowledged: s.acknowledged, flapping: flaps.isFlapping(id, at: now), forced: s.forced))
        }
        entries.sort { (($0.state.severity ?? -1), $1.id) > (($1.state.severity ?? -1), $0.id) }
        return Weather(generatedAt: now, nodes: entries)
    }
}
