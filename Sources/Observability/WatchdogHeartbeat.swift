import Synchronization

/// A counter that watched work bumps each time it completes a round (a tick, a batch), read by
/// ``WatchdogService`` as its `progress`. Relaxed ordering: the reader only compares two values
/// taken seconds apart, and nothing else is published through it.
public final class WatchdogHeartbeat: Sendable {
    private let beats = Atomic<UInt64>(0)

    public init() {}

    public func beat() { beats.wrappingAdd(1, ordering: .relaxed) }

    public var value: UInt64 { beats.load(ordering: .relaxed) }
}
