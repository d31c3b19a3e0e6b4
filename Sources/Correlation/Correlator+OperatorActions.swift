/// Maintenance windows and acknowledgements as operators edit them: checks (with their error
/// texts), the change in ``OperatorActions``, propagation, then the write: each one ``commitEdit``,
/// refused with nothing changed when the store cannot write it.
extension Correlator {
    @discardableResult
    public func addMaintenance(node: String, start: Double, end: Double, comment: String? = nil) throws(InventoryError) -> MaintenanceWindow {
        try commitEdit("maintenance of '\(node)'") { (change) throws(InventoryError) -> MaintenanceWindow in
            guard board.graph.nodes[node] != nil else { throw InventoryError(.notFound, subject: "node '\(node)'", "no such node") }
            guard end > start else { throw InventoryError(subject: "maintenance of '\(node)'", field: "end", "must be after start") }
            let w = operatorActions.addWindow(node: node, start: start, end: end, comment: comment)
            refreshMaintenance(into: &change)
            return w
        }
    }

    public func removeMaintenance(id: Int64) throws(InventoryError) {
        try commitEdit("maintenance \(id)") { (change) throws(InventoryError) in
            guard operatorActions.hasWindow(id) else { throw InventoryError(.notFound, subject: "maintenance \(id)", "no such window") }
            operatorActions.removeWindow(id)
            refreshMaintenance(into: &change)
        }
    }

    private func refreshMaintenance(into change: inout PendingChange) {
        let now = clock()
        change.batch.maintenance = operatorActions.maintenance
        handle(board.propagator.setMaintenance(operatorActions.activeMaintenance(at: now)), now: now, into: &change)
    }

    public func acknowledge(node: String, author: String? = nil, comment: String? = nil) throws(InventoryError) {
        try commitEdit("acknowledgement of '\(node)'") { (change) throws(InventoryError) in
            guard let s = board.propagator.status[node] else { throw InventoryError(.notFound, subject: "node '\(node)'", "no such node") }
            guard s.state != .ok && s.state.isKnown else { throw InventoryError(subject: "node '\(node)'", field: "state", "only a bad state can be acknowledged") }
            operatorActions.setAcknowledgement(Acknowledgement(node: node, at: clock(), author: author, comment: comment), node: node)
            refreshAcks(into: &change)
        }
    }

    public func removeAcknowledgement(node: String) throws(InventoryError) {
        try commitEdit("acknowledgement of '\(node)'") { (change) throws(InventoryError) in
            guard operatorActions.acks[node] != nil else { throw InventoryError(.notFound, subject: "node '\(node)'", "not acknowledged") }
            operatorActions.setAcknowledgement(nil, node: node)
            refreshAcks(into: &change)
        }
    }

    private func refreshAcks(into change: inout PendingChange) {
        change.batch.acknowledgements = Array(operatorActions.acks.values)
        handle(board.propagator.setAcknowledged(operatorActions.acknowledgedNodes), now: clock(), into: &change)
    }
}
