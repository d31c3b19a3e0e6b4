/// What a leaf (an `endpoint` or `agent` node) gets from outside the model.
public struct LeafInput: Sendable, Hashable {
    public var state: Health
    /// Who decided it (agent ids for an endpoint).
    public var causes: [String]
    public var idle: Bool
    public init(state: Health, causes: [String] = [], idle: Bool = false) {
        self.state = state; self.causes = causes; self.idle = idle
    }
    public static let unknown = LeafInput(state: .unknown)
}

/// The computed status of one node.
public struct NodeStatus: Sendable, Hashable, Codable {
    public var id: String
    public var state: Health
    /// Weighted share (0…1) of the node's inputs, recursively down to the leaves, that have fresh evidence.
    public var coverage: Double
    /// The children (or, for a leaf, the agents) that decided the state; empty when OK.
    public var causes: [String]
    /// The leaves at the end of the cause paths (root causes); empty when OK.
    public var rootCauses: [String]
    public var score: Double?
    public var idle: Bool
    /// In a maintenance window, or all its contributing children are: it propagates OK.
    public var maintenance: Bool
    /// Bad and acknowledged (itself, or every cause is acknowledged or in maintenance).
    public var acknowledged: Bool
    /// Forced by a what-if.
    public var forced: Bool

    public init(id: String, state: Health, coverage: Double = 0, causes: [String] = [], rootCauses: [String] = [], score: Double? = nil,
                idle: Bool = false, maintenance: Bool = false, acknowledged: Bool = false, forced: Bool = false) {
        self.id = id; self.state = state; self.coverage = coverage; self.causes = causes; self.rootCauses = rootCauses
        self.score = score; self.idle = idle; self.maintenance = maintenance; self.acknowledged = acknowledged; self.forced = forced
    }

    /// The state the node's parents see (before the edge's map function): OK while in maintenance.
    public var propagated: Health { maintenance ? .ok : state }
}

/// The compiled graph of a validated inventory: children and parents of each node, topological order.
public struct Graph: Sendable {
    public let nodes: [String: Node]
    /// Edges into each parent, in declaration order.
    public let childEdges: [String: [ImpactEdge]]
    public let parents: [String: [String]]
    /// Children before parents.
    public let order: [String]
    public let rank: [String: Int]

    public init(_ inventory: Inventory) {
        var nodes: [String: Node] = [:]
        for n in inventory.nodes { nodes[n.id] = n }
        var childEdges: [String: [ImpactEdge]] = [:], parents: [String: [String]] = [:]
        var indegree: [String: Int] = [:]
        for e in inventory.edges where nodes[e.child] != nil && nodes[e.parent] != nil {
            childEdges[e.parent, default: []].append(e)
            parents[e.child, default: []].append(e.parent)
            indegree[e.parent, default: 0] += 1
        }
        // Kahn's algorithm from the leaves, in declaration order for determinism.
        var order: [String] = []
        var queue = inventory.nodes.map(\.id).filter { (indegree[$0] ?? 0) == 0 }
        var head = 0
        while head < queue.count {
            let n = queue[head]; head += 1
            order.append(n)
            for p in parents[n] ?? [] {
                indegree[p]! -= 1
                if indegree[p] == 0 { queue.append(p) }
            }
        }
        var rank: [String: Int] = [:]
        for (i, n) in order.enumerated() { rank[n] = i }
        self.nodes = nodes; self.childEdges = childEdges; self.parents = parents; self.order = order; self.rank = rank
    }

    /// Every ancestor of the given nodes (not including them).
    public func ancestors(of ids: some Sequence<String>) -> Set<String> {
        var seen = Set<String>(), stack = Array(ids)
        while let n = stack.popLast() {
            for p in parents[n] ?? [] where seen.insert(p).inserted { stack.append(p) }
        }
        return seen
    }

    /// Every descendant (child, grandchild, …) of a node.
    public func descendants(of id: String) -> Set<String> {
        var seen = Set<String>(), stack = [id]
        while let n = stack.popLast() {
            for e in childEdges[n] ?? [] where seen.insert(e.child).inserted { stack.append(e.child) }
        }
        return seen
    }
}

/// One state change produced by a propagation.
public struct StatusChange: Sendable, Hashable {
    public var id: String
    public var old: NodeStatus?
    public var new: NodeStatus
}

/// State propagation over the graph: full recomputation, and incremental recomputation of the
/// ancestors of changed nodes only (in topological order, stopping where nothing changes).
/// A value type: copying it (what-if) never touches the original.
public struct Propagator: Sendable {
    public private(set) var graph: Graph
    public private(set) var leaves: [String: LeafInput] = [:]
    public private(set) var inMaintenance: Set<String> = []
    public private(set) var acknowledged: Set<String> = []
    public private(set) var forced: [String: Health] = [:]
    public private(set) var status: [String: NodeStatus] = [:]
    /// Nodes recomputed by the last operation (for metrics and tests).
    public private(set) var lastRecomputed = 0

    public init(graph: Graph) {
        self.graph = graph
        recomputeAll()
    }

    /// Replaces the graph (inventory edit) and recomputes everything; returns the changes.
    @discardableResult
    public mutating func setGraph(_ g: Graph) -> [StatusChange] {
        let old = status
        graph = g
        recomputeAll()
        var changes: [StatusChange] = []
        for id in graph.order where old[id] != status[id] { changes.append(StatusChange(id: id, old: old[id], new: status[id]!)) }
        return changes
    }

    public mutating func recomputeAll() {
        var s: [String: NodeStatus] = [:]
        for id in graph.order { s[id] = compute(id, s) }
        status = s
        lastRecomputed = graph.order.count
    }

    @discardableResult
    public mutating func setLeaf(_ id: String, _ input: LeafInput) -> [StatusChange] {
        if leaves[id] == input { return [] }
        leaves[id] = input
        return recompute(from: [id])
    }

    /// Several leaves at once: one propagation for all of them (shared ancestors computed once).
    @discardableResult
    public mutating func setLeaves(_ inputs: [String: LeafInput]) -> [StatusChange] {
        var changed: [String] = []
        for (id, input) in inputs where leaves[id] != input {
            leaves[id] = input
            changed.append(id)
        }
        return recompute(from: changed)
    }

    @discardableResult
    public mutating func setMaintenance(_ ids: Set<String>) -> [StatusChange] {
        let changed = ids.symmetricDifference(inMaintenance)
        inMaintenance = ids
        return recompute(from: changed)
    }

    @discardableResult
    public mutating func setAcknowledged(_ ids: Set<String>) -> [StatusChange] {
        let changed = ids.symmetricDifference(acknowledged)
        acknowledged = ids
        return recompute(from: changed)
    }

    @discardableResult
    public mutating func force(_ id: String, _ state: Health?) -> [StatusChange] {
        forced[id] = state
        return recompute(from: [id])
    }

    /// Recomputes the given nodes and, as long as results change, their ancestors.
    public mutating func recompute(from ids: some Collection<String>) -> [StatusChange] {
        let start = ids.filter { graph.nodes[$0] != nil }
        guard !start.isEmpty else { lastRecomputed = 0; return [] }
        var dirty = Set(start)
        // Ranks looked up once per node, not once per comparison.
        let todo = graph.ancestors(of: start).union(start).map { (rank: graph.rank[$0]!, id: $0) }.sorted { $0.rank < $1.rank }
        var changes: [StatusChange] = []
        var count = 0
        for (_, id) in todo where dirty.contains(id) {
            count += 1
            let new = compute(id, status)
            let old = status[id]
            if old != new {
                status[id] = new
                changes.append(StatusChange(id: id, old: old, new: new))
                for p in graph.parents[id] ?? [] { dirty.insert(p) }
            }
        }
        lastRecomputed = count
        return changes
    }

    /// One node from its inputs and its children's current statuses.
    func compute(_ id: String, _ s: [String: NodeStatus]) -> NodeStatus {
        let node = graph.nodes[id]!
        let ownMaintenance = inMaintenance.contains(id)
        if let f = forced[id] {
            return NodeStatus(id: id, state: f, coverage: f.isKnown ? 1 : 0, causes: [], rootCauses: f.isKnown && f != .ok ? [id] : [],
                              maintenance: ownMaintenance, acknowledged: acknowledged.contains(id) && f != .ok, forced: true)
        }
        // Inputs: one per ungrouped child, one per redundancy group, plus the node's own leaf input.
        var inputs: [ReduceFunction.Input] = []
        var coverages: [(Double, Double)] = []  // (weight, coverage)
        var members: [String: [String]] = [:]   // input id -> child ids
        var perChild: [ReduceFunction.Input] = []
        var groups: [String: [(ImpactEdge, Health, NodeStatus)]] = [:]
        var groupOrder: [String] = []
        var contributing: [NodeStatus] = []
        for e in graph.childEdges[id] ?? [] {
            guard let c = s[e.child], let mapped = e.map.apply(c.propagated) else { continue }
            contributing.append(c)
            perChild.append(.init(id: e.child, state: mapped, weight: e.weight))
            if let g = e.group {
                if groups[g] == nil { groupOrder.append(g) }
                groups[g, default: []].append((e, mapped, c))
            } else {
                inputs.append(.init(id: e.child, state: mapped, weight: e.weight))   // members: itself (the default below)
                coverages.append((e.weight, c.maintenance ? 1 : c.coverage))
            }
        }
        for g in groupOrder {
            let list = groups[g]!
            let known = list.filter { $0.1.isKnown }
            let best = known.min { $0.1.severity! < $1.1.severity! }?.1 ?? .unknown
            let key = "group:" + g
            inputs.append(.init(id: key, state: best, weight: list.map(\.0.weight).max()!))
            members[key] = list.filter { $0.1 == best }.map(\.0.child)
            coverages.append((list.map(\.0.weight).max()!, list.map { $0.2.maintenance ? 1 : $0.2.coverage }.max()!))
        }
        var idleFlags: [Bool] = contributing.filter { $0.state.isKnown }.map(\.idle)
        var ownCauses: [String] = []
        if let leaf = leaves[id] ?? ((node.kind == .endpoint || node.kind == .agent) ? LeafInput.unknown : nil) {
            inputs.append(.init(id: id, state: leaf.state, weight: 1))
            members[id] = []
            ownCauses = leaf.causes
            coverages.append((1, leaf.state.isKnown ? 1 : 0))
            if leaf.state.isKnown { idleFlags.append(leaf.idle) }
        }
        var out = node.reduce.reduce(inputs)
        for rule in node.rules {
            if let matching = rule.fires(perChild), let t = rule.then.severity, t > (out.state.severity ?? -1) {
                out.state = rule.then
                out.causes = matching
            } else if let matching = rule.fires(perChild), rule.then == out.state {
                out.causes = Array(Set(out.causes + matching)).sorted()
            }
        }
        // Expand group inputs into their children; the node's own input into its deciding agents.
        var causes: [String] = [], roots: [String] = []
        for c in out.causes {
            if c == id {
                causes += ownCauses
                roots.append(id)
            } else {
                for m in members[c] ?? [c] {
                    causes.append(m)
                    let r = s[m]?.rootCauses ?? []
                    roots += r.isEmpty ? [m] : r
                }
            }
        }
        let totalWeight = coverages.reduce(0) { $0 + $1.0 }
        let coverage = totalWeight > 0 ? coverages.reduce(0) { $0 + $1.0 * $1.1 } / totalWeight : 0
        let bad = out.state.isKnown && out.state != .ok
        let maintenance = ownMaintenance || (!contributing.isEmpty && leaves[id] == nil && contributing.allSatisfy(\.maintenance))
        let causeStatuses = causes.compactMap { s[$0] }
        let ack = bad && (acknowledged.contains(id) || (!causeStatuses.isEmpty && causeStatuses.count == causes.count && causeStatuses.allSatisfy { $0.acknowledged || $0.maintenance }))
        return NodeStatus(id: id, state: out.state, coverage: coverage, causes: bad ? uniq(causes) : [], rootCauses: bad ? uniq(roots) : [],
                          score: out.score, idle: !idleFlags.isEmpty && idleFlags.allSatisfy { $0 },
                          maintenance: maintenance, acknowledged: ack)
    }

    /// `a` without repeats, first occurrences kept in order.
    func uniq(_ a: [String]) -> [String] {
        if a.count <= 1 { return a }
        if a.count <= 16 {   // a linear scan beats hashing for the usual handful of causes
            var out: [String] = []
            out.reserveCapacity(a.count)
            for x in a where !out.contains(x) { out.append(x) }
            return out
        }
        var seen = Set<String>()
        return a.filter { seen.insert($0).inserted }
    }
}
