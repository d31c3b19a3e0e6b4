import Foundation

/// What one state change stores, and announces once it is stored.
struct PendingChange {
    var batch = StoreBatch()
    var events: [StateChangeEvent] = []
}

/// A write the store refused; nothing of the change it carried was kept.
public struct StoreWriteFailed: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "storage failed: \(message)" }
}

/// The atomic state change: every change of the correlator's state (an ingested batch, a tick, an
/// operator's edit, what other instances stored) is applied, written, and either kept with its
/// events published, or — when the write fails — undone, so that the sender's retry applies it
/// exactly once and nothing is visible after a restart that was not stored.
extension Correlator {
    /// The concerns a change may touch. Taking it costs a few reference counts: the values are
    /// copy-on-write, and a change copies only the collections it writes to.
    struct Checkpoint {
        var board: StateBoard
        var agentBook: AgentBook
        var ledger: IngestLedger
        var deps: DependencyBook
        var operatorActions: OperatorActions
        var flowLog: FlowLog
        var sharedCursor: Int64
        var counters: CorrelatorMetrics
    }

    /// State lock held.
    func checkpoint() -> Checkpoint {
        Checkpoint(board: board, agentBook: agentBook, ledger: ledger, deps: deps, operatorActions: operatorActions,
                   flowLog: flowLog, sharedCursor: sharedCursor, counters: counters)
    }

    /// State lock held. The gauges are the caller's to update.
    func restore(_ c: Checkpoint) {
        board = c.board
        agentBook = c.agentBook
        ledger = c.ledger
        deps = c.deps
        operatorActions = c.operatorActions
        flowLog = c.flowLog
        sharedCursor = c.sharedCursor
        counters = c.counters
    }

    /// Runs `change` on the state (state lock held), then writes what it put in the batch with the
    /// state lock released: reads go on during the write (they may see the change before it is
    /// durable), and the next change is applied meanwhile, on top of this one. Stored: the events
    /// are published and `storageError` is nil. Not stored: the state is put back as it was before
    /// `change` (which also removes the changes applied on top of it since: the writer refuses them
    /// unwritten) and nothing is published. A `change` that throws is undone too.
    func commit<T, E: Error>(_ change: (inout PendingChange) throws(E) -> T) throws(E) -> (value: T, storageError: String?) {
        lock.lock()
        let before = checkpoint()
        var pending = PendingChange()
        let value: T
        do {
            value = try change(&pending)
        } catch {
            restore(before)
            lock.unlock()
            throw error
        }
        let place = writer.reserve()
        lock.unlock()
        let events = pending.events
        switch writer.write(pending.batch, place, stored: { subscribers.publish(events) }) {
        case .stored:
            return (value, nil)
        case .failed(let failure):
            locked {
                restore(before)  // the writer counted the failure
                writer.undone()
                updateGauges(now: clock())
            }
            return (value, failure)
        case .baseUndone(let failure):
            return (value, failure)
        }
    }

    /// ``commit(_:)`` for an operator's edit: a failed write refuses the edit (nothing changed).
    func commitEdit<T>(_ what: String, _ change: (inout PendingChange) throws(InventoryError) -> T) throws(InventoryError) -> T {
        let (value, failure) = try commit(change)
        if let failure { throw InventoryError(.notStored, subject: what, "not saved: \(failure)") }
        return value
    }
}
