import Correlation
import SystemIO

extension Correlator {
    /// An operator's edit, off the async pool: it waits for a batch being written (fsync, a
    /// PostgreSQL round trip) before it can change anything.
    func edit<T: Sendable>(_ change: @escaping @Sendable (Correlator) throws -> T) async throws -> T {
        try await BlockingWork.run { () throws -> T in try change(self) }
    }
}
