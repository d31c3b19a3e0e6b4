import NIOConcurrencyHelpers
import NIOCore

/// The connections of one listener: how many are open, which are waiting for a request head (and
/// since when), and the verified client certificate of each, for the routes and the audit log.
public final class ConnectionRegistry: Sendable {
    struct Entry {
        let channel: any Channel
        let opened: UInt64
        var awaitingHead: Bool
        var peer: String?
    }

    struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var serial: UInt64 = 0
        var counters = Counters()
    }

    /// What the listener has done, for `status` and `/metrics`.
    public struct Counters: Sendable, Equatable {
        public var open = 0
        public var accepted: UInt64 = 0
        /// Connections closed to make room for a new one (the oldest without a request head).
        public var evicted: UInt64 = 0
        /// Connections answered 503 because every slot had a request in flight.
        public var refused: UInt64 = 0
        /// Connections closed because no complete request head came in time.
        public var headTimeouts: UInt64 = 0
    }

    let maxConnections: Int
    private let state = NIOLockedValueBox(State())

    public init(maxConnections: Int) { self.maxConnections = max(1, maxConnections) }

    public var counters: Counters { state.withLockedValue { $0.counters } }

    /// Registers a new connection. At the cap, the oldest connection still waiting for a request
    /// head is closed to make room; false when there is none (the new one is to be refused).
    func open(_ channel: any Channel) -> Bool {
        let (admitted, victim): (Bool, (any Channel)?) = state.withLockedValue { s in
            s.serial += 1
            s.counters.accepted += 1
            var victim: (any Channel)?
            if s.entries.count >= maxConnections {
                let oldest = s.entries.filter { $0.value.awaitingHead }.min { $0.value.opened < $1.value.opened }
                guard let oldest else {
                    s.counters.refused += 1
                    return (false, nil)
                }
                s.entries.removeValue(forKey: oldest.key)
                s.counters.evicted += 1
                victim = oldest.value.channel
            }
            s.entries[ObjectIdentifier(channel)] = Entry(channel: channel, opened: s.serial, awaitingHead: true)
            s.counters.open = s.entries.count
            return (true, victim)
        }
        victim?.close(promise: nil)
        return admitted
    }

    func closed(_ channel: any Channel) {
        state.withLockedValue { s in
            s.entries.removeValue(forKey: ObjectIdentifier(channel))
            s.counters.open = s.entries.count
        }
    }

    func awaitingHead(_ channel: any Channel, _ waiting: Bool) {
        state.withLockedValue { s in s.entries[ObjectIdentifier(channel)]?.awaitingHead = waiting }
    }

    func headTimedOut() { state.withLockedValue { $0.counters.headTimeouts += 1 } }

    func setPeer(_ channel: any Channel, _ subject: String) {
        state.withLockedValue { s in s.entries[ObjectIdentifier(channel)]?.peer = subject }
    }

    /// The verified client certificate's subject (`CN=...`) of the connection, if it gave one.
    public func peer(of channel: any Channel) -> String? {
        state.withLockedValue { $0.entries[ObjectIdentifier(channel)]?.peer }
    }
}
