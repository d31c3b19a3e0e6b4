import NIOConcurrencyHelpers
import NIOCore

/// The connections of one listener: how many are open, which are waiting for a request head (and
/// since when), and the verified client certificate of each, for the routes and the audit log.
public final class ConnectionRegistry: Sendable {
    struct Entry {
        let channel: any Channel
        /// The stamp under which the connection waits for a request head; nil while a request is
        /// in flight.
        var waitingSince: UInt64?
        var peer: String?
    }

    struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        /// Connections waiting for a request head, oldest first: stamps only grow, so appending
        /// keeps the order. An entry whose connection has since sent a head, waited again (a new
        /// stamp) or closed is stale and skipped; eviction is amortised O(1), not a scan of 4,096.
        var waiting: [(stamp: UInt64, id: ObjectIdentifier)] = []
        var waitingHead = 0
        var serial: UInt64 = 0
        var counters = Counters()

        mutating func markWaiting(_ id: ObjectIdentifier) {
            serial += 1
            entries[id]?.waitingSince = serial
            waiting.append((serial, id))
            // Drop the consumed and stale prefix now and then (bounded: at most 2 entries per live one).
            if waitingHead > 1024 && waitingHead > waiting.count / 2 {
                waiting.removeFirst(waitingHead)
                waitingHead = 0
            }
            if waiting.count - waitingHead > 2 * entries.count + 1024 {
                waiting = waiting[waitingHead...].filter { entries[$0.id]?.waitingSince == $0.stamp }
                waitingHead = 0
            }
        }

        /// Removes and returns the oldest connection still waiting for a head.
        mutating func takeOldestWaiting() -> Entry? {
            while waitingHead < waiting.count {
                let (stamp, id) = waiting[waitingHead]
                waitingHead += 1
                if let e = entries[id], e.waitingSince == stamp {
                    entries.removeValue(forKey: id)
                    return e
                }
            }
            return nil
        }
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
            s.counters.accepted += 1
            var victim: (any Channel)?
            if s.entries.count >= maxConnections {
                guard let oldest = s.takeOldestWaiting() else {
                    s.counters.refused += 1
                    return (false, nil)
                }
                s.counters.evicted += 1
                victim = oldest.channel
            }
            let id = ObjectIdentifier(channel)
            s.entries[id] = Entry(channel: channel, waitingSince: nil)
            s.markWaiting(id)
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

    /// The connection waits for a request head (true: just opened, or its response is complete)
    /// or has one in flight (false).
    func awaitingHead(_ channel: any Channel, _ waiting: Bool) {
        state.withLockedValue { s in
            let id = ObjectIdentifier(channel)
            guard s.entries[id] != nil else { return }
            if waiting { s.markWaiting(id) } else { s.entries[id]?.waitingSince = nil }
        }
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
