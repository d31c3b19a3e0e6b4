import Foundation

/// Runs `body` on a thread of its own and waits for it without holding a thread of the async pool:
/// blocking calls inside (file replay, libpcap, librdkafka's poll and flush, libpq's waits) stay off
/// the shared executor, and a C handle created there stays confined to that thread.
public func onOwnThread(named name: String, _ body: @escaping @Sendable () throws -> Void) async throws {
    try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
        let thread = Thread {
            do {
                try body()
                done.resume()
            } catch {
                done.resume(throwing: error)
            }
        }
        thread.name = name
        thread.start()
    }
}

/// A flag set once from another thread.
public final class StopFlag: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = false
    public init() {}
    public func set() { lock.withLock { value = true } }
    public var isSet: Bool { lock.withLock { value } }
}
