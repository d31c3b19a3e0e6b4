/// Kinds of nodes of the inventory.
public enum NodeKind: String, Codable, Sendable, CaseIterable {
    case site, agent, host, endpoint, service, application
}

/// One node of the inventory.
///
/// An `endpoint` node's id is an agent service id (`10.0.0.5:443/tcp`, `[2001:db8::1]:53/udp`, or
/// tenant-scoped `vxlan:100/10.0.0.5:443/tcp` for a service inside a tenant's tunnel): its
/// state comes from the agents' `service_state` records. An `agent` node's id is an agent id: it is
/// OK while the agent reports, UNKNOWN once it is stale. Other nodes are computed from their children.
public struct Node: Sendable, Hashable, Codable {
    public var id: String
    public var kind: NodeKind
    public var name: String?
    public var reduce: ReduceFunction
    public var rules: [Rule]

    public init(id: String, kind: NodeKind, name: String? = nil, reduce: ReduceFunction = .worst, rules: [Rule] = []) {
        self.id = id; self.kind = kind; self.name = name; self.reduce = reduce; self.rules = rules
    }

    enum CodingKeys: String, CodingKey { case id, kind, name, reduce, rules }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // YAML `id: null` (or `id:`) is no id: a YAML decoder would otherwise read it as the string "null".
        if c.contains(.id), try c.decodeNil(forKey: .id) {
            throw DecodingError.valueNotFound(String.self, .init(codingPath: c.codingPath + [CodingKeys.id], debugDescription: "the node has no id (null)"))
        }
        id = try c.decode(String.self, forKey: .id)
        kind = try c.decode(NodeKind.self, forKey: .kind)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        reduce = try c.decodeIfPresent(ReduceFunction.self, forKey: .reduce) ?? .worst
        rules = try c.decodeIfPresent([Rule].self, forKey: .rules) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(kind, forKey: .kind)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encode(reduce, forKey: .reduce)
        if !rules.isEmpty { try c.encode(rules, forKey: .rules) }
    }
}

/// An impact edge: the child's state impacts the parent's.
public struct ImpactEdge: Sendable, Hashable, Codable {
    public var child: String
    public var parent: String
    public var map: MapFunction
    public var weight: Double
    /// Children of one parent sharing a group are redundant: the group counts as one input, its best state.
    public var group: String?

    public init(child: String, parent: String, map: MapFunction = .identity, weight: Double = 1, group: String? = nil) {
        self.child = child; self.parent = parent; self.map = map; self.weight = weight; self.group = group
    }

    public var key: EdgeKey { EdgeKey(child: child, parent: parent) }

    enum CodingKeys: String, CodingKey { case child, parent, map, weight, group }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        child = try c.decode(String.self, forKey: .child)
        parent = try c.decode(String.self, forKey: .parent)
        map = try c.decodeIfPresent(MapFunction.self, forKey: .map) ?? .identity
        weight = try c.decodeIfPresent(Double.self, forKey: .weight) ?? 1
        group = try c.decodeIfPresent(String.self, forKey: .group)
    }
}

public struct EdgeKey: Sendable, Hashable, Codable, CustomStringConvertible {
    public var child: String
    public var parent: String
    public var description: String { "\(child) -> \(parent)" }
}

/// A validation error: names the node or edge, the field, and what is wrong; or the cycle found.
public struct InventoryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case invalid
        case cycle([String])
        case notFound
        /// Valid, but the store refused the write (disk full, database down): nothing changed; retry later.
        case notStored
    }
    public var kind: Kind
    /// `node 'web'` or `edge 'a -> b'`.
    public var subject: String
    public var field: String?
    public var message: String

    public init(_ kind: Kind = .invalid, subject: String, field: String? = nil, _ message: String) {
        self.kind = kind; self.subject = subject; self.field = field; self.message = message
    }

    public var description: String {
        if case .cycle(let path) = kind { return "cycle: \(path.joined(separator: " -> "))" }
        return "\(subject)\(field.map { ", field '\($0)'" } ?? ""): \(message)"
    }
}

/// The declared model: nodes and impact edges (child → parent). Always valid once built through
/// `validate()` (the `Correlator` only accepts validated inventories).
public struct Inventory: Sendable, Equatable, Codable {
    public var nodes: [Node]
    public var edges: [ImpactEdge]

    public init(nodes: [Node] = [], edges: [ImpactEdge] = []) {
        self.nodes = nodes; self.edges = edges
    }

    enum CodingKeys: String, CodingKey { case nodes, edges }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nodes = try c.decodeIfPresent([Node].self, forKey: .nodes) ?? []
        edges = try c.decodeIfPresent([ImpactEdge].self, forKey: .edges) ?? []
    }

    public func node(_ id: String) -> Node? { nodes.first { $0.id == id } }

    /// Checks every node and edge; throws the first problem found (cycles last, naming the cycle).
    public func validate() throws(InventoryError) {
        var ids = Set<String>()
        for n in nodes {
            let subject = "node '\(n.id)'"
            if n.id.isEmpty { throw InventoryError(subject: "node #\(ids.count + 1)", field: "id", "empty") }
            if !ids.insert(n.id).inserted { throw InventoryError(subject: subject, field: "id", "duplicate id") }
            if n.kind == .endpoint && ServiceID(n.id) == nil {
                throw InventoryError(subject: subject, field: "id", "an endpoint id is '[tenant/]address:port/transport' (e.g. 10.0.0.5:443/tcp, [2001:db8::1]:53/udp or vxlan:100/10.0.0.5:443/tcp)")
            }
            switch n.reduce {
            case .quorumCount(let k) where k < 1:
                throw InventoryError(subject: subject, field: "reduce", "quorum count must be at least 1")
            case .quorumWeight(let w) where !(w > 0 && w.isFinite):
                throw InventoryError(subject: subject, field: "reduce", "quorum weight must be positive")
            case .score(let t) where !(t.warning >= t.degraded && t.degraded >= t.down):
                throw InventoryError(subject: subject, field: "reduce", "score thresholds must be descending (warning ≥ degraded ≥ down)")
            default: break
            }
            for (i, r) in n.rules.enumerated() {
                if !r.state.isKnown || !r.then.isKnown {
                    throw InventoryError(subject: subject, field: "rules[\(i)]", "states of a rule must be OK, WARNING, DEGRADED or DOWN")
                }
                if let a = r.atLeast, a < 1 { throw InventoryError(subject: subject, field: "rules[\(i)].at_least", "must be at least 1") }
                if let c = r.child, !edges.contains(where: { $0.child == c && $0.parent == n.id }) {
                    throw InventoryError(subject: subject, field: "rules[\(i)].child", "'\(c)' is not a child of this node")
                }
            }
        }
        var keys = Set<EdgeKey>()
        for e in edges {
            let subject = "edge '\(e.child) -> \(e.parent)'"
            if !ids.contains(e.child) { throw InventoryError(subject: subject, field: "child", "no node '\(e.child)'") }
            if !ids.contains(e.parent) { throw InventoryError(subject: subject, field: "parent", "no node '\(e.parent)'") }
            if e.child == e.parent { throw InventoryError(.cycle([e.child, e.parent]), subject: subject, "an edge from a node to itself") }
            if !(e.weight > 0 && e.weight.isFinite) { throw InventoryError(subject: subject, field: "weight", "must be a positive number") }
            if let g = e.group, g.isEmpty { throw InventoryError(subject: subject, field: "group", "empty") }
            if !keys.insert(e.key).inserted { throw InventoryError(subject: subject, "duplicate edge") }
        }
        if let cycle = findCycle() {
            throw InventoryError(.cycle(cycle), subject: "edge '\(cycle[cycle.count - 2]) -> \(cycle[cycle.count - 1])'", "closes a cycle")
        }
    }

    /// A cycle as the list of nodes along child → parent edges, first node repeated at the end.
    public func findCycle() -> [String]? {
        var parents: [String: [String]] = [:]
        for e in edges { parents[e.child, default: []].append(e.parent) }
        var color: [String: UInt8] = [:]  // 1 = on stack, 2 = done
        var stack: [String] = []
        func visit(_ n: String) -> [String]? {
            color[n] = 1
            stack.append(n)
            for p in parents[n] ?? [] {
                if color[p] == 1 {
                    let start = stack.lastIndex(of: p)!
                    return Array(stack[start...]) + [p]
                }
                if color[p] == nil, let c = visit(p) { return c }
            }
            stack.removeLast()
            color[n] = 2
            return nil
        }
        for n in nodes.map(\.id) + edges.map(\.child) where color[n] == nil {
            if let c = visit(n) { return c }
        }
        return nil
    }
}
