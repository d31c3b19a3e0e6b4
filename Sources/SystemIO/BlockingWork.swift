import Dispatch

/// Runs blocking work (a lock held across an fsync, a database round trip) on threads outside the
/// async pool, and awaits its result without holding a pool thread. The pool has as many threads
/// as cores: two requests blocked on storage would otherwise stop every other request.
public enum BlockingWork {
    /// A queue of its own targets an overcommitting root queue: libdispatch adds a thread when
    /// the running ones block, instead of queueing behind them.
    private static let queue = DispatchQueue(label: "vigie.blocking-work", attributes: .concurrent)

    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { done in
            queue.async { done.resume(returning: work()) }
        }
    }

    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let outcome: Result<T, any Error> = await run { () -> Result<T, any Error> in
            do { return .success(try work()) } catch { return .failure(error) }
        }
        return try outcome.get()
    }
}
