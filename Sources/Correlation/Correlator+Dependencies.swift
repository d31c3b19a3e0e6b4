/// Observed dependencies (`edge` records): listing, confirmation, promotion into the model.
/// Each change is one ``commitEdit``: refused with nothing changed when the store cannot write it.
extension Correlator {
    public struct DependencyView: Sendable, Codable, Hashable {
        public var dependency: ObservedDependency
        public var status: DependencyStatus
        public init(dependency: ObservedDependency, status: DependencyStatus) { self.dependency = dependency; self.status = status }
    }

    public func dependencies() -> [DependencyView] {
        locked {
            let now = clock()
            return deps.all().map { DependencyView(dependency: $0, status: $0.status(at: now, staleAfter: deps.staleAfter, goneAfter: deps.goneAfter)) }
        }
    }

    public func confirmDependency(_ id: Int64) throws(InventoryError) -> ObservedDependency {
        try commitEdit("dependency \(id)") { (change) throws(InventoryError) -> ObservedDependency in
            guard let d = deps.confirm(id) else { throw InventoryError(.notFound, subject: "dependency \(id)", "no such dependency") }
            change.batch.dependencies = [d]
            return d
        }
    }

    /// Promotes an observed dependency into the model: creates the endpoint node (the service id)
    /// if missing and the impact edge endpoint → `parent`.
    public func promoteDependency(_ id: Int64, parent: String, map: MapFunction = .identity, weight: Double = 1,
                                  group: String? = nil) throws(InventoryError) -> ObservedDependency {
        try commitEdit("promotion of dependency \(id)") { (change) throws(InventoryError) -> ObservedDependency in
            guard let d = deps.byID[id] else { throw InventoryError(.notFound, subject: "dependency \(id)", "no such dependency") }
            var inv = board.inventory
            guard inv.node(parent) != nil else { throw InventoryError(subject: "promotion of dependency \(id)", field: "parent", "no node '\(parent)'") }
            if inv.node(d.service) == nil { inv.nodes.append(Node(id: d.service, kind: .endpoint)) }
            let edge = ImpactEdge(child: d.service, parent: parent, map: map, weight: weight, group: group)
            if let i = inv.edges.firstIndex(where: { $0.key == edge.key }) { inv.edges[i] = edge } else { inv.edges.append(edge) }
            try inv.validate()
            install(inv, into: &change)
            let p = deps.markPromoted(id)!
            change.batch.dependencies = [p]
            return p
        }
    }
}
