import Synchronization

/// A transition that asks for a pin, as the analytics thread saw it.
public struct PinTrigger: Sendable, Hashable {
    /// Service id (`IP:PORT/proto`).
    public var service: String
    /// `DOWN`, `DEGRADED`... (``PinConfig/pinClass(_:)``) and the agent's state (`UNREACHABLE`...).
    public var stateClass: String
    public var state: String
    /// Packet time of the transition (end of the deciding window), nanoseconds.
    public var nanos: Int64
}

/// Hands pin triggers from the analytics merger thread to the capture thread, which applies them
/// at its next tick or rotation (only that thread touches the store). Bounded: a storm of
/// transitions beyond `capacity` unapplied triggers is counted and dropped (pin quota would evict
/// them anyway).
public final class PinMailbox: Sendable {
    private struct Box {
        var items: [PinTrigger] = []
        var dropped: UInt64 = 0
    }

    private let box = Mutex(Box())
    public let capacity: Int

    public init(capacity: Int = 256) { self.capacity = capacity }

    public func post(_ t: PinTrigger) {
        box.withLock { b in
            if b.items.count < capacity { b.items.append(t) } else { b.dropped &+= 1 }
        }
    }

    /// Takes every waiting trigger.
    public func drain() -> [PinTrigger] {
        box.withLock { b in
            if b.items.isEmpty { return [] }
            defer { b.items.removeAll() }
            return b.items
        }
    }

    /// Triggers dropped because the mailbox was full.
    public var dropped: UInt64 { box.withLock { $0.dropped } }
}
