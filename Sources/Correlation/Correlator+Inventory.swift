/// Inventory edits: each is validated whole before anything changes, then installed (the graph,
/// the leaves, a first history entry for new nodes) and stored as one ``commitEdit``: refused with
/// nothing changed when the store cannot write it.
extension Correlator {
    /// Replaces the whole inventory (validated first: nothing changes on error).
    public func replaceInventory(_ inv: Inventory) throws(InventoryError) {
        try inv.validate()
        try commitEdit("inventory") { (change) throws(InventoryError) in install(inv, into: &change) }
    }

    /// Adds or replaces a node.
    public func upsertNode(_ node: Node) throws(InventoryError) {
        try edit { inv in
            if let i = inv.nodes.firstIndex(where: { $0.id == node.id }) { inv.nodes[i] = node } else { inv.nodes.append(node) }
        }
    }

    /// Removes a node and its edges.
    public func removeNode(_ id: String) throws(InventoryError) {
        try edit { (inv) throws(InventoryError) in
            guard inv.nodes.contains(where: { $0.id == id }) else { throw InventoryError(.notFound, subject: "node '\(id)'", "no such node") }
            inv.nodes.removeAll { $0.id == id }
            inv.edges.removeAll { $0.child == id || $0.parent == id }
            for i in inv.nodes.indices { inv.nodes[i].rules.removeAll { $0.child == id } }
        }
    }

    /// Adds or replaces the edge child → parent.
    public func upsertEdge(_ edge: ImpactEdge) throws(InventoryError) {
        try edit { inv in
            if let i = inv.edges.firstIndex(where: { $0.key == edge.key }) { inv.edges[i] = edge } else { inv.edges.append(edge) }
        }
    }

    public func removeEdge(child: String, parent: String) throws(InventoryError) {
        try edit { (inv) throws(InventoryError) in
            guard inv.edges.contains(where: { $0.child == child && $0.parent == parent }) else {
                throw InventoryError(.notFound, subject: "edge '\(child) -> \(parent)'", "no such edge")
            }
            inv.edges.removeAll { $0.child == child && $0.parent == parent }
            for i in inv.nodes.indices where inv.nodes[i].id == parent { inv.nodes[i].rules.removeAll { $0.child == child } }
        }
    }

    func edit(_ change: (inout Inventory) throws(InventoryError) -> Void) throws(InventoryError) {
        try commitEdit("inventory") { (pending) throws(InventoryError) in
            var inv = board.inventory
            try change(&inv)
            try inv.validate()
            install(inv, into: &pending)
        }
    }

    /// State lock held (inside a commit); `inv` validated. Installs it and puts it in the change.
    func install(_ inv: Inventory, into change: inout PendingChange) {
        let now = clock()
        change.batch.inventory = inv
        var changes = board.install(inv)
        changes += refreshAllLeaves(now: now)
        handle(changes, now: now, into: &change)
        // Nodes that appeared get a first history entry.
        for id in board.graph.order where board.lastStates[id] == nil {
            let s = board.propagator.status[id]!
            board.lastStates[id] = s.state
            change.batch.history.append(HistoryEntry(node: id, at: now, state: s.state, previous: nil, causes: s.causes))
        }
        updateGauges(now: now)
    }
}
