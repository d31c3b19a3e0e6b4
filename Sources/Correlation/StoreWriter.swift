import Foundation

/// The one writer to the correlation store: writes in the order the changes were applied, and
/// knows which changes must not be written because one before them failed.
///
/// Changes are pipelined: the next one is applied in memory while this one is written. So a
/// change gets its place (a ``Ticket``) while the state lock is held, and writes when its turn
/// comes, without that lock. When a write fails, its change is undone (``Correlator/commit(_:)``
/// puts its checkpoint back, which also removes every change applied on top of it); the changes
/// that reserved a place before that undo are *based on* the failed one, so they are refused
/// without being written (`baseUndone`). The writer's own lock (`turn`, the "store lock") is a
/// leaf: taken with the state lock held or alone, never the other way round, and never held
/// during a write (docs/server.md, "Locking").
final class StoreWriter: @unchecked Sendable {
    /// A place in the write order, and the state it was applied on.
    struct Ticket {
        let number: UInt64
        let generation: UInt64
    }

    enum Outcome {
        case stored
        /// This change's write failed: the caller undoes it.
        case failed(String)
        /// A change this one was applied on top of failed: already undone with it.
        case baseUndone(String)
    }

    let store: (any CorrelationStorage)?
    private let turn = NSCondition()
    private var issued: UInt64 = 0
    private var serving: UInt64 = 0
    /// Bumped when a failed change is undone: the places reserved before were taken on top of it.
    private var generation: UInt64 = 0
    /// A write failed and its change is not undone yet.
    private var failedPending = false
    private var lastFailure = ""
    private var failures = 0

    init(store: (any CorrelationStorage)?) {
        self.store = store
    }

    /// Writes that failed so far.
    var failureCount: Int {
        turn.lock()
        defer { turn.unlock() }
        return failures
    }

    /// The next place in the write order. Called with the state lock held, so places follow the
    /// order in which changes were applied.
    func reserve() -> Ticket {
        turn.lock()
        defer { turn.unlock() }
        issued += 1
        return Ticket(number: issued - 1, generation: generation)
    }

    /// Waits for `ticket`'s turn, then writes `batch` in one transaction unless the state it was
    /// applied on was undone. `stored` runs after a successful write, still in turn: events are
    /// published in the order of the writes.
    func write(_ batch: StoreBatch, _ ticket: Ticket, stored: () -> Void) -> Outcome {
        if let failure = awaitTurn(ticket) {
            passTurn()
            return .baseUndone(failure)
        }
        defer { passTurn() }
        if let store, !batch.isEmpty {
            do {
                try store.write(batch)
            } catch {
                turn.lock()
                failures += 1
                failedPending = true
                lastFailure = "\(error)"
                turn.unlock()
                return .failed("\(error)")
            }
        }
        stored()
        return .stored
    }

    /// The failed change was undone (state lock held): places reserved from now on are on the
    /// restored state.
    func undone() {
        turn.lock()
        defer { turn.unlock() }
        generation += 1
        failedPending = false
    }

    /// Waits until every write reserved before `ticket` has returned; true when none of them
    /// failed (what was applied before `ticket` is stored).
    func barrier(_ ticket: Ticket) -> Bool {
        let failure = awaitTurn(ticket)
        passTurn()
        return failure == nil
    }

    /// Runs another storage call (a prune) in turn with the writes.
    func inOrder(_ call: () throws -> Void) rethrows {
        _ = awaitTurn(reserve())
        defer { passTurn() }
        try call()
    }

    /// Nil when the state the ticket was taken on still stands, else the failure that undid it.
    private func awaitTurn(_ ticket: Ticket) -> String? {
        turn.lock()
        defer { turn.unlock() }
        while serving != ticket.number { turn.wait() }
        return failedPending || ticket.generation != generation ? lastFailure : nil
    }

    private func passTurn() {
        turn.lock()
        serving += 1
        turn.broadcast()
        turn.unlock()
    }
}
