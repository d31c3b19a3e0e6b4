/// Several server instances on one PostgreSQL store: each reads back what the others wrote.
extension Correlator {
    /// Applies what other server instances wrote to a shared store since the last call: their
    /// agents' views and liveness, inventory, maintenance windows and acknowledgements; then
    /// propagates like an ingest. Their history is theirs to write: nothing is written here.
    /// Call it from one thread (on `NOTIFY`, and periodically).
    ///
    /// The feed is read without the state lock (a PostgreSQL round trip), then applied as one
    /// ``commit(_:)``: if the history it causes cannot be written, it is undone, the cursor too, and
    /// read again next time.
    @discardableResult
    public func absorbSharedChanges() throws -> [StateChangeEvent] {
        guard let store, store.isShared else { return [] }
        let changes = try store.changes(since: locked { sharedCursor })
        let (events, failure) = commit { (change) -> [StateChangeEvent] in
            sharedCursor = max(sharedCursor, changes.cursor)
            guard !changes.isEmpty else { return [] }
            let now = clock()
            var statusChanges: [StatusChange] = []
            if let inv = changes.inventory, inv != board.inventory, (try? inv.validate()) != nil {
                statusChanges += board.install(inv)
                statusChanges += refreshAllLeaves(now: now)
            }
            if let m = changes.maintenance {
                operatorActions.replaceWindows(m)
                statusChanges += board.propagator.setMaintenance(operatorActions.activeMaintenance(at: now))
            }
            if let a = changes.acknowledgements {
                operatorActions.replaceAcknowledgements(a)
                statusChanges += board.propagator.setAcknowledged(operatorActions.acknowledgedNodes)
            }
            var touchedServices = Set<String>(), touchedAgents = Set<String>()
            for v in changes.views where agentBook.absorb(v) { touchedServices.insert(v.service) }
            for a in changes.agents {
                let revived = agentBook.absorb(a, at: now)
                touchedAgents.insert(a.agent)
                if revived { touchedServices.formUnion(agentBook.services(of: a.agent)) }
            }
            statusChanges += board.propagator.setLeaves(leafInputs(services: touchedServices, agents: touchedAgents, now: now))
            handle(statusChanges, now: now, into: &change)
            updateGauges(now: now)
            return change.events
        }
        if let failure { throw StoreWriteFailed(message: failure) }
        return events
    }
}
