import Foundation

/// The one writer to the correlation store: it orders writes and counts the ones that failed.
///
/// Its `lock` (the "store lock") is taken with the correlator's state lock held, or alone — never
/// the state lock while holding it (docs/server.md, "Locking") — so storage writes happen in the
/// order the state changed. A failed write keeps nothing: the correlator puts back the state the
/// batch had changed (``Correlator/commit(_:)``), so the batch's sender retries it and it is
/// applied once. Every call here may block on storage (SQLite fsync, a PostgreSQL round trip).
final class StoreWriter: @unchecked Sendable {
    let store: (any CorrelationStorage)?
    private let lock = NSLock()
    /// Writes that failed.
    private var failures = 0

    init(store: (any CorrelationStorage)?) {
        self.store = store
    }

    /// Writes that failed so far.
    var failureCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return failures
    }

    /// Writes `batch` in one transaction, in order with the other writes; nil when it is stored
    /// (or there is nothing to store), else the error.
    func write(_ batch: StoreBatch) -> String? {
        lock.lock()
        defer { lock.unlock() }
        guard let store, !batch.isEmpty else { return nil }
        do {
            try store.write(batch)
            return nil
        } catch {
            failures += 1
            return "\(error)"
        }
    }

    /// Runs another storage call (a prune) in order with the writes.
    func inOrder(_ call: () throws -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        try call()
    }
}
