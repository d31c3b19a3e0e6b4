@testable import Analytics
import Foundation
import Records
import Testing
import VigieTestSupport

@testable import Agent
import SystemIO

/// The pin file across restarts and crashes, the `pins:` configuration, and the `pin` record.
@Suite("Pin book and configuration")
struct PinBookTests {
    static func pin(_ from: Int64, _ to: Int64, reason: String = "test") -> Pin {
        Pin(id: Pin.newID(), from: from, to: to, reason: reason, origin: .api, created: WallClock.nanos())
    }

    @Test("pins survive a restart; a crash-partial hidden file is ignored and replaced by the next change")
    func restartAndPartialFile() throws {
        let dir = Support.temporaryDirectory("pinbook")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layout = StoreLayout(root: dir)
        let book = PinBook(layout: layout)
        let a = Self.pin(10, 20), b = Self.pin(30, 40)
        try book.create(a)
        try book.create(b)
        // A crash while staging the next change leaves the hidden file half written.
        let staging = AtomicFile.stagingPath(for: book.path)
        #expect(staging.hasSuffix("/.pins.json.tmp"))
        try Data("{\"format\":\"vigie-pins\",\"version\":1,\"pins\":[{\"id\":".utf8).write(to: URL(fileURLWithPath: staging))
        // A new process (the keeper of a restarted capture) sees both pins, not the partial file.
        let keeper = PinKeeper(layout: layout, config: PinConfig(), storage: StorageConfig(), logger: Support.logger)
        #expect(Set(keeper.pins.map(\.id)) == [a.id, b.id])
        #expect(try book.load().generation == 2)
        // Its first refresh records them (they were never recorded) and marks them so.
        var events: [PinEvent] = []
        keeper.onEvent = { events.append($0) }
        keeper.refresh(force: true)
        #expect(events.map(\.action) == [.created, .created])
        keeper.flush()  // the file is written on the keeper's writer thread
        #expect(try book.load().pins.allSatisfy { $0.recordedTo == $0.to })
        // The next change replaces the partial file; another restart records nothing twice.
        try book.extend(a.id, to: 25)
        #expect(!FileManager.default.fileExists(atPath: staging))
        let keeper2 = PinKeeper(layout: layout, config: PinConfig(), storage: StorageConfig(), logger: Support.logger)
        var events2: [PinEvent] = []
        keeper2.onEvent = { events2.append($0) }
        keeper2.refresh(force: true)
        keeper2.flush()
        #expect(events2.map(\.action) == [.extended])
        #expect(events2.first?.pin.to == 25)
        try book.release(b.id)
        keeper2.refresh(force: true)
        keeper2.flush()
        #expect(events2.map(\.action) == [.extended, .released])
        #expect(keeper2.pins.map(\.id) == [a.id])
        #expect(try book.load().pins.map(\.id) == [a.id], "a recorded release drops the pin from the file")
        // A damaged file is refused, not overwritten, and the keeper keeps what it had.
        try Data("not json".utf8).write(to: URL(fileURLWithPath: book.path))
        #expect(throws: PinError.self) { try book.create(Self.pin(1, 2)) }
        keeper2.refresh(force: true)
        #expect(keeper2.pins.map(\.id) == [a.id])
    }

    @Test("triggers left at shutdown become pins, recorded at the next start")
    func pendingTriggersAtShutdown() throws {
        let dir = Support.temporaryDirectory("pinbook")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layout = StoreLayout(root: dir)
        let keeper = PinKeeper(layout: layout, config: PinConfig(), storage: StorageConfig(), logger: Support.logger)
        var events: [PinEvent] = []
        keeper.onEvent = { events.append($0) }
        keeper.mailbox.post(PinTrigger(service: "10.0.0.5:443/tcp", stateClass: "DOWN", state: "REFUSED", nanos: 1_000_000_000_000))
        keeper.applyPendingTriggers()
        #expect(events.isEmpty, "the record outputs are closed at this point")
        let pins = try PinBook(layout: layout).load().pins
        #expect(pins.count == 1 && pins.first?.recordedTo == nil)
        #expect(pins.first.map { $0.from == 700_000_000_000 && $0.to == 1_600_000_000_000 } == true, "[t - 5 min, t + 10 min] by default")
        #expect(pins.first?.reason == "service 10.0.0.5:443/tcp → DOWN (REFUSED)")
        let next = PinKeeper(layout: layout, config: PinConfig(), storage: StorageConfig(), logger: Support.logger)
        var later: [PinEvent] = []
        next.onEvent = { later.append($0) }
        next.refresh(force: true)
        #expect(later.map(\.action) == [.created])
    }

    @Test("changes from two processes at once are all kept (flock)")
    func concurrentChanges() throws {
        let dir = Support.temporaryDirectory("pinbook")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let book = PinBook(layout: StoreLayout(root: dir))
        // Separate threads stand in for separate processes: each update opens its own lock
        // descriptor, and flock locks are per open file description.
        DispatchQueue.concurrentPerform(iterations: 40) { i in
            try? book.create(Self.pin(Int64(i), Int64(i) + 1))
        }
        let file = try book.load()
        #expect(file.pins.count == 40)
        #expect(file.generation == 40)
    }

    @Test("pins: section parses; bad values name their key")
    func configuration() throws {
        let c = try ConfigLoader.parse("pins:\n  enabled: false\n  before: 1m\n  after: 2m\n  quota: 10%\n  states: [down]\n")
        #expect(c.pins.enabled == false && c.pins.beforeSeconds == 60 && c.pins.afterSeconds == 120)
        #expect(c.pins.quota == .percent(10) && c.pins.states == ["DOWN"])
        #expect(try ConfigLoader.parse("pins:\n  quota: 64MiB\n").pins.quota == .bytes(64 << 20))
        expectConfigError("pins:\n  quota: lots\n", option: "pins.quota", message: "not a size")
        expectConfigError("pins:\n  quota: 150%\n", option: "pins.quota", message: "percentage")
        expectConfigError("pins:\n  states: [SLOW]\n", option: "pins.states", message: "'SLOW'")
        expectConfigError("pins:\n  after: soon\n", option: "pins.after", message: "not a duration")
        expectConfigError("pins:\n  keep: 1\n", option: "pins.keep", message: "unknown option")
        // The default (25 %) fits; a quota leaving the ring less than two segments does not.
        var storage = StorageConfig()
        storage.quotaBytes = 256 << 10
        storage.segmentBytes = 16 << 10
        try PinConfig().validate(storage: storage)
        #expect(PinConfig().quotaBytes(storage: storage) == 64 << 10)
        var p = PinConfig()
        p.quota = .bytes(240 << 10)
        #expect(throws: ConfigError.self) { try p.validate(storage: storage) }
        do { try p.validate(storage: storage) } catch { #expect(error.option == "pins.quota") }
        p.quota = .bytes(224 << 10)
        try p.validate(storage: storage)
    }

    @Test("DOWN means UNREACHABLE or REFUSED; only transitions into pinned states pin")
    func pinClasses() {
        let p = PinConfig()
        #expect(p.pinClass("UNREACHABLE") == "DOWN" && p.pinClass("REFUSED") == "DOWN" && p.pinClass("DEGRADED") == "DEGRADED")
        #expect(p.pinClass("UP") == nil && p.pinClass("IDLE") == nil)
        var q = PinConfig()
        q.states = ["REFUSED"]
        #expect(q.pinClass("REFUSED") == "REFUSED" && q.pinClass("UNREACHABLE") == nil)
    }

    @Test("a service_state transition into DOWN or DEGRADED triggers; heartbeats and other states do not")
    func triggersFromServiceState() {
        func report(_ state: ServiceState, from previous: ServiceState, _ reason: ServiceStateReport.Reason = .transition) -> ServiceStateReport {
            ServiceStateReport(service: ServiceKey(address: ip("10.0.0.5"), port: 443, transport: .tcp), application: .none, state: state,
                               previousState: previous, reason: reason, windowStartNanos: 5_000, windowEndNanos: 15_000, sinceNanos: 15_000,
                               evidence: WindowEvidence())
        }
        let config = PinConfig()
        let t = PinTrigger.from(report(.refused, from: .up), config: config)
        #expect(t == PinTrigger(service: "10.0.0.5:443/tcp", stateClass: "DOWN", state: "REFUSED", nanos: 5_000))
        #expect(PinTrigger.from(report(.degraded, from: .up), config: config)?.stateClass == "DEGRADED")
        #expect(PinTrigger.from(report(.refused, from: .refused, .heartbeat), config: config) == nil)
        #expect(PinTrigger.from(report(.up, from: .refused), config: config) == nil)
        #expect(PinTrigger.from(report(.idle, from: .up), config: config) == nil)
        var downOnly = PinConfig()
        downOnly.states = ["DOWN"]
        #expect(PinTrigger.from(report(.degraded, from: .up), config: downOnly) == nil)
        #expect(PinTrigger.from(report(.unreachable, from: .degraded), config: downOnly)?.state == "UNREACHABLE")
    }

    @Test("a pin record is valid NDJSON the server's parser accepts, and matches its schema")
    func pinRecord() throws {
        var encoder = RecordEncoder(agentID: "a1", epoch: 7)
        encoder.begin(.pin, seq: 3, ts: 1_700_000_000_000_000_000, agentTs: 1_700_000_000_000_000_000)
        encoder.pin(action: "evicted", id: "0123456789abcdef", from: 1_699_999_700_000_000_000, to: 1_700_000_600_000_000_000,
                    reason: "service 10.0.0.5:443/tcp → DOWN (UNREACHABLE)", service: "10.0.0.5:443/tcp", state: "DOWN", origin: "incident")
        encoder.end()
        let line = encoder.writer.bytes
        let o = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(o["kind"] as? String == "pin" && o["action"] as? String == "evicted" && o["from"] as? String == "2023-11-14T22:08:20.000000000Z")
        let parsed = RecordParser.parse(batch: line)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        #expect(parsed.records.count == 1 && parsed.records.first?.envelope.kind == "pin")
        #expect(RecordKind(spoolCode: RecordKind.pin.spoolCode) == .pin)
        #expect(Set(RecordKind.allCases.map(\.spoolCode)).count == RecordKind.allCases.count)
        if SchemaValidator.isAvailable {
            #expect(try SchemaValidator.validate(line).isEmpty)
        }
    }
}
