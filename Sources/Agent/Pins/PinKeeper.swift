import Dispatch
import Logging
import Synchronization
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
    /// Triggers lost because the mailbox was full.
    public var triggersLost: UInt64 = 0
    /// Changes of the pin file that could not be written (logged; the pins still apply in memory).
    public var writeFailures: UInt64 = 0

    public init() {}
}

/// Writes the pin file on its own thread: a change is an flock, an fsync and a rename, which under
/// disk load take from milliseconds to a few hundred (measured: median 7.5 ms, worst 230 ms while
/// other builds ran), too long for the capture thread to wait. Changes are applied in order.
final class PinFileWriter: Sendable {
    let book: PinBook
    private let logger: Logger
    private let queue = DispatchQueue(label: "vigie.pins")
    private let inFlight = Atomic<Int>(0)
    private let failed = Atomic<UInt64>(0)

    init(book: PinBook, logger: Logger) {
        self.book = book
        self.logger = logger
    }

    /// Queues `change` of the pins on disk (made under the file's lock, on the current file).
    func submit(_ change: @escaping @Sendable (inout [Pin]) -> Void) {
        inFlight.wrappingAdd(1, ordering: .sequentiallyConsistent)
        queue.async { [self] in
            do {
                try book.update { (pins: inout [Pin]) throws(PinError) in change(&pins) }
            } catch {
                failed.wrappingAdd(1, ordering: .relaxed)
                logger.error("cannot write the pin file", metadata: ["error": "\(error)"])
            }
            inFlight.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        }
    }

    /// Whether changes are queued or being written (the file is not up to date yet).
    var busy: Bool { inFlight.load(ordering: .sequentiallyConsistent) > 0 }

    /// Changes that could not be written.
    var failures: UInt64 { failed.load(ordering: .relaxed) }

    /// Waits until every queued change is written.
    func flush() { queue.sync {} }
}

/// The capture thread's side of the pins: applies the triggers of the ``PinMailbox``, re-reads
/// the pin file when another process changed it, and tells ring retention which segments it must
/// keep, releasing the oldest pins when they would hold more than the pin quota.
///
/// Its own pins take effect and are recorded at once; the file follows on the writer's thread
/// (``PinFileWriter``), and the file is re-read only once those writes are done.
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
    private let writer: PinFileWriter

    public init(layout: StoreLayout, config: PinConfig, storage: StorageConfig, logger: Logger) {
        book = PinBook(layout: layout)
        writer = PinFileWriter(book: book, logger: logger)
        self.config = config
        quotaBytes = config.quotaBytes(storage: storage)
        counters.quotaBytes = quotaBytes
        self.logger = logger
        // The pins of the last run protect at once; what is still to be recorded is recorded at
        // the first refresh, once the owner has connected `onEvent`.
        pins = (try? book.active()) ?? []
        counters.pins = UInt64(pins.count)
    }

    deinit { writer.flush() }

    /// Applies waiting triggers and picks up changes of the file, at most once a second of wall
    /// time unless `force` (a rotation: about to delete).
    public func refresh(now: Int64 = WallClock.monotonicNanos(), force: Bool = false) {
        let triggers = mailbox.drain()
        if !triggers.isEmpty { apply(triggers) }
        guard force || lastCheck == .min || now &- lastCheck >= 1_000_000_000 else { return }
        lastCheck = now
        // While own changes are being written the file is behind memory: read it after.
        if !writer.busy && book.signature() != signature { reload() }
    }

    /// Waits until the pin file holds every change made so far (shutdown, tests).
    public func flush() { writer.flush() }

    /// Re-reads the file (another process changed it), records what changed since the last record
    /// (created, extended, released) and has the writer mark them recorded and drop recorded
    /// releases.
    private func reload() {
        let sig = book.signature()
        let file: PinBook.File
        do { file = try book.load() } catch {
            // Kept: the last good pins (the file is only ever replaced whole, so this is damage).
            logger.error("pin file unreadable; keeping the pins last read", metadata: ["error": "\(error)"])
            signature = sig
            return
        }
        signature = sig
        var events: [PinEvent] = []
        var active: [Pin] = []
        var marks: [(id: String, to: Int64)] = [], dropped: [String] = []
        for var p in file.pins {
            if p.released == true {
                if p.recordedTo != nil { events.append(PinEvent(action: .released, pin: p)) }
                dropped.append(p.id)
                continue
            }
            if p.recordedTo == nil {
                events.append(PinEvent(action: .created, pin: p))
            } else if p.recordedTo != p.to {
                events.append(PinEvent(action: .extended, pin: p))
            }
            if p.recordedTo != p.to { marks.append((p.id, p.to)) }
            p.recordedTo = p.to
            active.append(p)
        }
        pins = active
        counters.pins = UInt64(pins.count)
        for e in events {
            if e.action == .created { counters.created &+= 1 }
            onEvent?(e)
        }
        guard !marks.isEmpty || !dropped.isEmpty else { return }
        let drop = Set(dropped), recorded = marks
        writer.submit { pins in
            pins.removeAll { p in p.released == true && drop.contains(p.id) }
            // The `to` recorded, which a later extension may have passed: then it is recorded again.
            for (id, to) in recorded { if let i = pins.firstIndex(where: { $0.id == id }) { pins[i].recordedTo = to } }
        }
    }

    /// At shutdown, after analytics wrote its last records (the record outputs are closed): the
    /// triggers still waiting become pins in the file; their `created` records are written at the
    /// next start (their `recordedTo` is unset).
    public func applyPendingTriggers() {
        let triggers = mailbox.drain()
        if !triggers.isEmpty { apply(triggers, record: false) }
        writer.flush()
    }

    /// Turns triggers into incident pins: a new transition of a service whose incident pin is still
    /// open (its window reaches the new one) extends that pin rather than adding one. With
    /// `record`, the records are written at once and the file marks them written.
    private func apply(_ triggers: [PinTrigger], record: Bool = true) {
        let before = Int64(config.beforeSeconds * 1e9), after = Int64(config.afterSeconds * 1e9)
        let created = WallClock.nanos()
        var events: [PinEvent] = []
        var touched: [Pin] = [], fresh = Set<String>()
        for t in triggers {
            let from = t.nanos.pinSubtracting(before), to = t.nanos.pinAdding(after)
            if let i = pins.firstIndex(where: { $0.origin == .incident && $0.service == t.service && $0.to >= from }) {
                guard to > pins[i].to else { continue }
                pins[i].to = to
                // Recorded now only if it was up to date; otherwise the next reload records it.
                if record && pins[i].recordedTo != nil {
                    pins[i].recordedTo = to
                    events.append(PinEvent(action: .extended, pin: pins[i]))
                }
                touched.append(pins[i])
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
            touched.append(pin)
            fresh.insert(pin.id)
        }
        counters.pins = UInt64(pins.count)
        guard !touched.isEmpty else { return }
        let changed = touched, new = fresh
        writer.submit { pins in
            for p in changed {
                if let i = pins.firstIndex(where: { $0.id == p.id }) {
                    guard pins[i].released != true else { continue }  // released meanwhile: stays released
                    pins[i].to = max(pins[i].to, p.to)
                    if p.recordedTo != nil { pins[i].recordedTo = p.recordedTo }
                } else if new.contains(p.id) && pins.count < PinBook.maxPins {
                    pins.append(p)
                }
            }
        }
        for e in events {
            if e.action == .created { counters.created &+= 1 }
            onEvent?(e)
        }
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
        logger.warning("pin quota exceeded: oldest pin released", metadata: [
            "pin": "\(oldest.id)", "reason": "\(oldest.reason)", "pinned_bytes": "\(pinnedBytes)", "quota": "\(quotaBytes)",
        ])
        pins.removeAll { $0.id == oldest.id }
        let id = oldest.id
        writer.submit { pins in pins.removeAll { $0.id == id } }
        counters.pins = UInt64(pins.count)
        counters.evicted &+= 1
        onEvent?(PinEvent(action: .evicted, pin: oldest))
    }

    /// Notes a pinned segment deleted to keep the store quota.
    func notePinnedDeleted() { counters.pinnedDeleted &+= 1 }

    /// The counters, with the triggers the mailbox dropped and the changes the writer could not
    /// write.
    public func snapshot() -> PinCounters {
        var c = counters
        c.triggersLost = counters.triggersLost &+ mailbox.dropped
        c.writeFailures = writer.failures
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
