/// Inventory edits: each is validated whole before anything changes, then stored, then installed
/// (the graph, the leaves, a first history entry for new nodes). State lock held throughout; the
/// inventory is written under the store lock before it is installed (the order the atomic batch
/// gives every batch: persist, then apply).
extension Correlator {
    /// Replaces the whole inventory (validated first: nothing changes on error).
    public func replaceInventory(_ inv: Inventory) throws(InventoryError) {
        try inv.validate()
        try locked { () throws(InventoryError) in try install(inv) }
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
        try locked { () throws(InventoryError) in
            var inv = board.inventory
            try change(&inv)
            try inv.validate()
            try install(inv)
        }
    }

    /// Lock held; `inv` validated. `persist`: false when the inventory comes from the shared store.
    func install(_ inv: Inventory, persist: Bool = true) throws(InventoryError) {
        let now = clock()
        var batch = StoreBatch()
        if persist {
            batch.inventory = inv
            do {
                try writer.writeOrThrow(batch)
            } catch { throw InventoryError(subject: "inventory", "not saved: \(error)") }
            batch = StoreBatch()
        }
        var changes = board.install(inv)
        changes += refreshAllLeaves(now: now)
        // Nodes that appeared get a first history entry.
        _ = handle(changes, now: now, batch: &batch)
        for id in board.graph.order where board.lastStates[id] == nil {
            let s = board.propagator.status[id]!
            board.lastStates[id] = s.state
            batch.history.append(HistoryEntry(node: id, at: now, state: s.state, previous: nil, causes: s.causes))
        }
        updateGauges(now: now)
        if persist { writer.write(batch) }
    }
}
