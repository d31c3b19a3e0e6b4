import Logging
import SystemIO

/// Counters of the pins, in the store's status.
public struct PinCounters: Codable, Sendable, Hashable {
    /// Active pins, and the finished segments and bytes they protect now.
    public var pins: UInt64 = 0
    public var pinnedSegments: UInt64 = 0
    public var pinnedBytes: UInt64 = 0
    /// The pin quota (`pins.quota`) in bytes.
    public var quotaBytes: UInt64 = 0
    public var created: UInt64 = 0
    /// Pins released early because the pin quota could not hold them (oldest first).
    public var evicted: UInt64 = 0
    /// Pinned segments deleted all the same because the store quota could not be kept otherwise.
    public var pinnedDeleted: UInt64 = 0
    /// Triggers lost (mailbox full, or the pin file could not be written).
    public var triggersLost: UInt64 = 0

    public init() {}
}

/// The capture thread's side of the pins: applies the triggers of the ``PinMailbox``, re-reads
/// the pin file when another process changed it, and tells ring retention which segments it must
/// keep, releasing the oldest pins when they would hold more than the pin quota.
///
/// Not thread-safe: owned by the store's capture thread.
public final class PinKeeper {
    public let book: PinBook
    public let config: PinConfig
    public let quotaBytes: UInt64
    /// Where the analytics thread posts triggers (replaced by the wiring with the analytics' own).
    public var mailbox = PinMailbox()
    /// Every pin change seen (made here or read from the file): the `pin` records.
    public var onEvent: ((PinEvent) -> Void)?
    public private(set) var pins: [Pin] = []
    public private(set) var counters = PinCounters()
    private var signature: [Int64] = []
    private var lastCheck: Int64 = .min
    private let logger: Logger

    public init(layout: StoreLayout, config: PinConfig, storage: StorageConfig, logger: Logger) {
        book = PinBook(layout: layout)
        self.config = config
        quotaBytes = config.quotaBytes(storage: storage)
        counters.quotaBytes = quotaBytes
        self.logger = logger
        // The pins of the last run protect at once; what is still to be recorded is recorded at
        // the first refresh, once the owner has connected `onEvent`.
        pins = (try? book.active()) ?? []
        counters.pins = UInt64(pins.count)
    }

    /// Applies waiting triggers and picks up changes of the file, at most once a second of wall
    /// time unless `force` (a rotation: about to delete).
    public func refresh(now: Int64 = WallClock.monotonicNanos(), force: Bool = false) {
        let triggers = mailbox.drain()
        if !triggers.isEmpty { apply(triggers) }
        guard force || now - lastCheck >= 1_000_000_000 || !triggers.isEmpty else { return }
        lastCheck = now
        if book.signature() != signature { reload() }
    }

    /// Re-reads the file, records what changed since the last record (created, extended,
    /// released) and drops released pins from the file.
    private func reload() {
        var file: PinBook.File
        do { file = try book.load() } catch {
            // Kept: the last good pins (the file is only ever replaced whole, so this is damage).
            logger.error("pin file unreadable; keeping the pins last read", metadata: ["error": "\(error)"])
            signature = book.signature()
            return
        }
        if file.pins.contains(where: { $0.released == true || $0.recordedTo != $0.to }) {
            var events: [PinEvent] = []
            do {
                try book.update { (pins: inout [Pin]) throws(PinError) in
                    events = []
                    var kept: [Pin] = []
                    for var p in pins {
                        if p.released == true {
                            if p.recordedTo != nil { events.append(PinEvent(action: .released, pin: p)) }
                            continue
                        }
                        if p.recordedTo == nil {
                            events.append(PinEvent(action: .created, pin: p))
                        } else if p.recordedTo != p.to {
                            events.append(PinEvent(action: .extended, pin: p))
                        }
                        p.recordedTo = p.to
                        kept.append(p)
                    }
                    pins = kept
                }
                file = try book.load()
            } catch {
                logger.error("cannot write the pin file", metadata: ["error": "\(error)"])
                events = []
            }
            for e in events {
                if e.action == .created { counters.created &+= 1 }
                onEvent?(e)
            }
        }
        signature = book.signature()
        pins = file.pins.filter { $0.released != true }
        counters.pins = UInt64(pins.count)
    }

    /// At shutdown, after analytics wrote its last records (the record outputs are closed): the
    /// triggers still waiting become pins in the file; their `created` records are written at the
    /// next start (their `recordedTo` is unset).
    public func applyPendingTriggers() {
        let triggers = mailbox.drain()
        if !triggers.isEmpty { apply(triggers, record: false) }
    }

    /// Turns triggers into incident pins: a new transition of a service whose incident pin is still
    /// open (its window reaches the new one) extends that pin rather than adding one. With
    /// `record`, the records are written at once and the file marks them written, so an incident
    /// costs one write of the pin file.
    private func apply(_ triggers: [PinTrigger], record: Bool = true) {
        let before = Int64(config.beforeSeconds * 1e9), after = Int64(config.afterSeconds * 1e9)
        let created = WallClock.nanos()
        var events: [PinEvent] = []
        do {
            try book.update { (pins: inout [Pin]) throws(PinError) in
                events = []
                for t in triggers {
                    let from = t.nanos.pinSubtracting(before), to = t.nanos.pinAdding(after)
                    if let i = pins.firstIndex(where: { $0.origin == .incident && $0.service == t.service && $0.released != true && $0.to >= from }) {
                        guard to > pins[i].to else { continue }
                        pins[i].to = to
                        // Recorded now only if it was up to date; otherwise the next reload records it.
                        if record && pins[i].recordedTo != nil {
                            pins[i].recordedTo = to
                            events.append(PinEvent(action: .extended, pin: pins[i]))
                        }
                        continue
                    }
                    var pin = Pin(id: Pin.newID(), from: from, to: to, reason: "service \(t.service) → \(t.stateClass)"
                                  + (t.state != t.stateClass ? " (\(t.state))" : ""),
                                  service: t.service, state: t.stateClass, origin: .incident, created: created)
                    if record {
                        pin.recordedTo = to
                        events.append(PinEvent(action: .created, pin: pin))
                    }
                    pins.append(pin)
                }
            }
        } catch {
            counters.triggersLost &+= UInt64(triggers.count)
            logger.error("cannot write incident pins", metadata: ["error": "\(error)"])
            return
        }
        guard record else { return }
        for e in events {
            if e.action == .created { counters.created &+= 1 }
            onEvent?(e)
        }
        reload()  // writes nothing unless another change is still to be recorded
    }

    /// The finished segments retention must keep. When the pins would hold more than the pin
    /// quota, the oldest pins (by creation) are released first and an `evicted` record says so; a
    /// single pin larger than the quota keeps its oldest segments up to the quota (the onset of an
    /// incident is what matters most).
    public func protectedSegments(_ segments: [SegmentInfo]) -> Set<UInt64> {
        refresh(force: true)
        let finished = segments.filter { $0.state != .writing }
        while true {
            guard !pins.isEmpty else {
                (counters.pinnedSegments, counters.pinnedBytes) = (0, 0)
                return []
            }
            var ids = Set<UInt64>(), bytes: UInt64 = 0
            for s in finished where pins.contains(where: { $0.covers(s) }) {
                ids.insert(s.id)
                bytes &+= s.bytes
            }
            if bytes <= quotaBytes || pins.count == 1 {
                if bytes > quotaBytes {
                    ids = []
                    bytes = 0
                    for s in finished where pins[0].covers(s) && bytes + s.bytes <= quotaBytes {
                        ids.insert(s.id)
                        bytes += s.bytes
                    }
                }
                counters.pinnedSegments = UInt64(ids.count)
                counters.pinnedBytes = bytes
                return ids
            }
            evictOldest(pinnedBytes: bytes)
        }
    }

    private func evictOldest(pinnedBytes: UInt64) {
        guard let oldest = pins.min(by: { ($0.created, $0.from, $0.id) < ($1.created, $1.from, $1.id) }) else { return }
        do {
            try book.update { (pins: inout [Pin]) throws(PinError) in pins.removeAll { $0.id == oldest.id } }
        } catch {
            logger.error("cannot write the pin file to evict a pin; evicting it in memory", metadata: ["error": "\(error)"])
        }
        logger.warning("pin quota exceeded: oldest pin released", metadata: [
            "pin": "\(oldest.id)", "reason": "\(oldest.reason)", "pinned_bytes": "\(pinnedBytes)", "quota": "\(quotaBytes)",
        ])
        pins.removeAll { $0.id == oldest.id }
        signature = book.signature()
        counters.pins = UInt64(pins.count)
        counters.evicted &+= 1
        onEvent?(PinEvent(action: .evicted, pin: oldest))
    }

    /// Notes a pinned segment deleted to keep the store quota.
    func notePinnedDeleted() { counters.pinnedDeleted &+= 1 }

    /// Counts triggers the mailbox dropped.
    public func snapshot() -> PinCounters {
        var c = counters
        c.triggersLost = counters.triggersLost &+ mailbox.dropped
        return c
    }
}

extension Int64 {
    func pinAdding(_ x: Int64) -> Int64 {
        let (r, o) = addingReportingOverflow(x)
        return o ? (x > 0 ? .max : .min) : r
    }

    func pinSubtracting(_ x: Int64) -> Int64 {
        let (r, o) = subtractingReportingOverflow(x)
        return o ? (x > 0 ? .min : .max) : r
    }
}
