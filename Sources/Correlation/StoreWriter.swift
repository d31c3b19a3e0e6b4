import Foundation

/// The one writer to the correlation store: it orders writes and keeps what failed to be written.
///
/// Owns `pending` (the batches whose write failed, merged into the next write so nothing applied in
/// memory is missing from storage once a write succeeds) and the failure count, both guarded by its
/// own `lock` — the "store lock". That lock is taken with the correlator's state lock held, never the
/// other way round (docs/server.md, "Locking"), so storage writes happen in the order the state changed.
/// Every call here may block on storage (SQLite fsync, a PostgreSQL round trip).
final class StoreWriter: @unchecked Sendable {
    let store: (any CorrelationStorage)?
    /// Flows kept in a pending batch (a long outage must not grow it without bound).
    private let maxFlows: Int
    private let lock = NSLock()
    /// What failed to be stored, written with the next batch.
    private var pending: StoreBatch?
    /// Writes that failed.
    private var failures = 0

    init(store: (any CorrelationStorage)?, maxFlows: Int) {
        self.store = store
        self.maxFlows = maxFlows
    }

    /// Writes that failed so far (takes the store lock: call it without waiting on the state lock).
    var failureCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return failures
    }

    /// Writes `batch` after the pending one, in order with the other writes; nil on success, else
    /// the error. The caller holds the state lock.
    @discardableResult
    func write(_ batch: StoreBatch) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return writeWithPending(batch)
    }

    /// Like `write`, but releases `stateLock` (held by the caller) once this write has its place in
    /// the order: the next batch is applied in memory while this one reaches the disk.
    ///
    /// This is where a batch's persistence sits today: AFTER it was applied in memory. The atomic
    /// batch (persist, then apply; docs/server.md) moves the write before the apply step and makes a
    /// failure undo nothing because nothing was applied yet.
    func write(_ batch: StoreBatch, releasing stateLock: NSLock) -> String? {
        lock.lock()
        stateLock.unlock()
        defer { lock.unlock() }
        return writeWithPending(batch)
    }

    /// Writes `batch` with the pending one, throwing on failure (nothing is kept pending then: the
    /// caller refuses its change). The caller holds the state lock.
    func writeOrThrow(_ batch: StoreBatch) throws {
        lock.lock()
        defer { lock.unlock() }
        var withPending = pending ?? StoreBatch()
        withPending.merge(batch)
        try store?.write(withPending)
        pending = nil
    }

    /// Runs another storage call (a prune) in order with the writes; also a barrier: it returns once
    /// every write that took its place before has returned. The caller holds the state lock.
    func inOrder(_ call: () throws -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        try call()
    }

    /// Store lock held.
    private func writeWithPending(_ batch: StoreBatch) -> String? {
        guard let store else { return nil }
        var all = pending ?? StoreBatch()
        all.merge(batch)
        if all.isEmpty { return nil }
        do {
            try store.write(all)
            pending = nil
            return nil
        } catch {
            all.compact(maxFlows: maxFlows)
            pending = all
            failures += 1
            return "\(error)"
        }
    }
}
