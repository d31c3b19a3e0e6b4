/// Maintenance windows and acknowledgements as operators edit them: checks (with their error
/// texts), the change in ``OperatorActions``, propagation, then the write. State lock held by each;
/// the write is under the store lock before the state lock is released.
extension Correlator {
    @discardableResult
    public func addMaintenance(node: String, start: Double, end: Double, comment: String? = nil) throws(InventoryError) -> MaintenanceWindow {
        try locked { () throws(InventoryError) -> MaintenanceWindow in
            guard board.graph.nodes[node] != nil else { throw InventoryError(.notFound, subject: "node '\(node)'", "no such node") }
            guard end > start else { throw InventoryError(subject: "maintenance of '\(node)'", field: "end", "must be after start") }
            let w = operatorActions.addWindow(node: node, start: start, end: end, comment: comment)
            refreshMaintenance()
            return w
        }
    }

    public func removeMaintenance(id: Int64) throws(InventoryError) {
        try locked { () throws(InventoryError) in
            guard operatorActions.hasWindow(id) else { throw InventoryError(.notFound, subject: "maintenance \(id)", "no such window") }
            operatorActions.removeWindow(id)
            refreshMaintenance()
        }
    }

    private func refreshMaintenance() {
        let now = clock()
        var batch = StoreBatch()
        batch.maintenance = operatorActions.maintenance
        _ = handle(board.propagator.setMaintenance(operatorActions.activeMaintenance(at: now)), now: now, batch: &batch)
        writer.write(batch)
    }

    public func acknowledge(node: String, author: String? = nil, comment: String? = nil) throws(InventoryError) {
        try locked { () throws(InventoryError) in
            guard let s = board.propagator.status[node] else { throw InventoryError(.notFound, subject: "node '\(node)'", "no such node") }
            guard s.state != .ok && s.state.isKnown else { throw InventoryError(subject: "node '\(node)'", field: "state", "only a bad state can be acknowledged") }
            operatorActions.setAcknowledgement(Acknowledgement(node: node, at: clock(), author: author, comment: comment), node: node)
            refreshAcks()
        }
    }

    public func removeAcknowledgement(node: String) throws(InventoryError) {
        try locked { () throws(InventoryError) in
            guard operatorActions.acks[node] != nil else { throw InventoryError(.notFound, subject: "node '\(node)'", "not acknowledged") }
            operatorActions.setAcknowledgement(nil, node: node)
            refreshAcks()
        }
    }

    private func refreshAcks() {
        var batch = StoreBatch()
        batch.acknowledgements = Array(operatorActions.acks.values)
        _ = handle(board.propagator.setAcknowledged(operatorActions.acknowledgedNodes), now: clock(), batch: &batch)
        writer.write(batch)
    }
}
