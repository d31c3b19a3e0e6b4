/// The read the notification evaluator makes every tick: each node's state, causes, maintenance
/// and acknowledgement, under one hold of the state lock (a consistent picture).
extension Correlator {
    public func alertView() -> [NodeAlertView] {
        locked {
            board.graph.order.compactMap { id -> NodeAlertView? in
                guard let node = board.graph.nodes[id], let s = board.propagator.status[id] else { return nil }
                return NodeAlertView(id: id, kind: node.kind, name: node.name, state: s.state, causes: s.causes, rootCauses: s.rootCauses,
                                     maintenance: s.maintenance, acknowledged: s.acknowledged)
            }
        }
    }
}
