import Foundation
import PcapFormat
import Testing
import VigieTestSupport

@testable import Agent
import SystemIO

/// Ring retention with pins: an incident's segments survive many rotations, within the store and
/// pin quotas, and go once released. What the store kept is compared with the original capture
/// by tshark.
@Suite("Pin retention", .serialized)
struct PinRetentionTests {
    static let start: Int64 = 1_700_000_000_000_000_000
    static let second: Int64 = 1_000_000_000
    static let segment: UInt64 = 16 << 10
    static let quota: UInt64 = 256 << 10

    static func storage() -> StorageConfig {
        var c = StorageConfig()
        c.segmentBytes = segment
        c.quotaBytes = quota
        c.segmentSeconds = 86_400
        c.writeBufferBytes = 16 << 10
        return c
    }

    static func pins(quota: UInt64, before: Double = 30, after: Double = 30) -> PinConfig {
        var p = PinConfig()
        p.quota = .bytes(quota)
        p.beforeSeconds = before
        p.afterSeconds = after
        return p
    }

    /// Packet `i` of the test capture: 1000 bytes, one a second of packet time, each one different.
    static func packet(_ i: Int) -> [UInt8] {
        (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i &* 7) }
    }

    static func header(_ i: Int) -> PacketHeader {
        let t = start + Int64(i) * second
        return PacketHeader(seconds: UInt32(t / second), fraction: UInt32(t % second), nanosecond: true, capturedLength: 1000, originalLength: 1000)
    }

    static let format = SourceFormat(linkType: 1, snaplen: 262_144, nanosecond: true)

    /// Writes packets `range` as a nanosecond pcap: the "original capture" tshark reads.
    static func writeOriginal(_ path: String, _ range: Range<Int>) throws {
        var out = [UInt8]()
        out += PacketBuilderLE.u32(0xA1B2_3C4D) + [2, 0, 4, 0] + PacketBuilderLE.u32(0) + PacketBuilderLE.u32(0)
            + PacketBuilderLE.u32(262_144) + PacketBuilderLE.u32(1)
        for i in range {
            let t = start + Int64(i) * second
            out += PacketBuilderLE.u32(UInt32(t / second)) + PacketBuilderLE.u32(UInt32(t % second)) + PacketBuilderLE.u32(1000) + PacketBuilderLE.u32(1000)
            out += packet(i)
        }
        try Data(out).write(to: URL(fileURLWithPath: path))
    }

    /// Packets of `files` whose time is in [from, to] seconds since 1970 as tshark sees them:
    /// (count, bytes, fingerprint of the frames).
    static func tsharkWindow(_ files: [String], from: Int64, to: Int64, dir: String) throws -> (Int, Int, [String]) {
        let merged = dir + "/merged-\(files.count)-\(UInt32.random(in: 0...UInt32.max)).pcap"
        let m = try Support.run(["mergecap", "-F", "pcap", "-w", merged] + files)
        #expect(m.status == 0, "\(m.stderr)")
        let r = try Support.run(["tshark", "-r", merged, "-o", "frame.generate_md5_hash:TRUE", "-Y", "frame.time_epoch >= \(from) && frame.time_epoch <= \(to)",
                                 "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.md5_hash"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let bytes = lines.reduce(0) { $0 + (Int($1.split(separator: "\t").dropFirst().first ?? "") ?? 0) }
        return (lines.count, bytes, lines.sorted())
    }

    @Test("an incident's segments survive many ring rotations, within the quotas, and go once released")
    func incidentSurvivesRotation() throws {
        let dir = Support.temporaryDirectory("pins")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layout = StoreLayout(root: dir + "/s")
        let pinQuota: UInt64 = 96 << 10
        let pin = try firstRun(layout: layout, dir: dir, pinQuota: pinQuota)
        try releaseRun(layout: layout, pin: pin, pinQuota: pinQuota)
    }

    /// Capture through an incident; returns its pin. The store is closed and unlocked on return.
    func firstRun(layout: StoreLayout, dir: String, pinQuota: UInt64) throws -> Pin {
        let store = try SegmentStore(layout: layout, config: Self.storage(), logger: Support.logger)
        let keeper = PinKeeper(layout: layout, config: Self.pins(quota: pinQuota), storage: Self.storage(), logger: Support.logger)
        store.pins = keeper
        var events: [PinEvent] = []
        keeper.onEvent = { events.append($0) }
        // The service goes down at packet 1000 (t0 + 1000 s); analytics reports it 40 s of packet
        // time later (a window and the workers' lag), through the mailbox, as the merger would.
        let incident = 1000, reported = 1040, total = 4000
        var maxStore: UInt64 = 0
        for i in 0..<total {
            if i == reported {
                keeper.mailbox.post(PinTrigger(service: "10.0.0.5:443/tcp", stateClass: "DOWN", state: "UNREACHABLE",
                                               nanos: Self.start + Int64(incident) * Self.second))
                store.tick()
            }
            let bytes = Self.packet(i)
            bytes.withUnsafeBytes { #expect(store.append(Self.header(i), $0, format: Self.format)) }
            maxStore = max(maxStore, store.snapshot().storeBytes)
        }
        store.close()
        let c = store.snapshot()
        let segs = store.catalog.segments()
        #expect(maxStore <= Self.quota, "store reached \(maxStore) bytes over a quota of \(Self.quota)")
        #expect(c.segmentsDeletedByRetention >= 10 * UInt64(segs.count), "deleted \(c.segmentsDeletedByRetention), kept \(segs.count)")
        #expect(events.map(\.action) == [.created])
        let pin = try #require(keeper.pins.first)
        #expect(pin.from == Self.start + 970 * Self.second && pin.to == Self.start + 1030 * Self.second)
        #expect(pin.state == "DOWN" && pin.origin == .incident && pin.reason.contains("10.0.0.5:443/tcp"))
        let pinned = segs.filter { pin.covers($0) }
        #expect(!pinned.isEmpty)
        #expect(pinned.reduce(0) { $0 + $1.bytes } <= pinQuota)
        #expect(c.pins?.pinnedSegments == UInt64(pinned.count))
        // What the store holds over the window is exactly what the original capture holds there.
        let original = dir + "/original.pcap"
        try Self.writeOriginal(original, 0..<total)
        let from = (Self.start + 970 * Self.second) / Self.second, to = (Self.start + 1030 * Self.second) / Self.second
        let want = try Self.tsharkWindow([original], from: from, to: to, dir: dir)
        let have = try Self.tsharkWindow(pinned.map { layout.segmentPath($0.id) }, from: from, to: to, dir: dir)
        #expect(want.0 == 61 && want.1 == 61_000)
        #expect(have.0 == want.0 && have.1 == want.1, "store \(have.0) packets/\(have.1) bytes, original \(want.0)/\(want.1)")
        #expect(have.2 == want.2, "the frames differ (time, length, MD5)")
        // Without the pin those segments would be long gone: the oldest unpinned kept is recent.
        #expect(segs.filter { !pin.covers($0) }.allSatisfy { ($0.firstNanos ?? 0) > Self.start + 3500 * Self.second })
        return pin
    }

    func releaseRun(layout: StoreLayout, pin: Pin, pinQuota: UInt64) throws {
        let total = 4000
        // Released (as the API does, from the file), then more traffic: they go.
        let store2 = try SegmentStore(layout: layout, config: Self.storage(), logger: Support.logger)
        let keeper2 = PinKeeper(layout: layout, config: Self.pins(quota: pinQuota), storage: Self.storage(), logger: Support.logger)
        #expect(keeper2.pins.map(\.id) == [pin.id], "the pin survives the restart")
        store2.pins = keeper2
        var events2: [PinEvent] = []
        keeper2.onEvent = { events2.append($0) }
        try PinBook(layout: layout).release(pin.id)
        for i in total..<(total + 400) {
            let bytes = Self.packet(i)
            bytes.withUnsafeBytes { _ = store2.append(Self.header(i), $0, format: Self.format) }
            #expect(store2.snapshot().storeBytes <= Self.quota)
        }
        store2.close()
        #expect(events2.map(\.action) == [.released])
        let left = store2.catalog.segments()
        #expect(!left.contains { pin.covers($0) }, "released pin's segments are still there")
    }

    @Test("pins beyond the pin quota: the oldest is evicted first and says so")
    func quotaEvictsOldest() throws {
        let dir = Support.temporaryDirectory("pins")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layout = StoreLayout(root: dir + "/s")
        // Room for about three 16 KiB segments of pins; each incident pins 20 s (~2 segments).
        let pinQuota: UInt64 = 48 << 10
        let store = try SegmentStore(layout: layout, config: Self.storage(), logger: Support.logger)
        let keeper = PinKeeper(layout: layout, config: Self.pins(quota: pinQuota, before: 10, after: 10), storage: Self.storage(), logger: Support.logger)
        store.pins = keeper
        var events: [PinEvent] = []
        keeper.onEvent = { events.append($0) }
        let incidents = [200, 400, 600]
        var maxStore: UInt64 = 0
        for i in 0..<1500 {
            if let k = incidents.firstIndex(of: i - 30) {
                keeper.mailbox.post(PinTrigger(service: "10.0.0.\(k + 1):80/tcp", stateClass: "DEGRADED", state: "DEGRADED",
                                               nanos: Self.start + Int64(incidents[k]) * Self.second))
                store.tick()
            }
            let bytes = Self.packet(i)
            bytes.withUnsafeBytes { _ = store.append(Self.header(i), $0, format: Self.format) }
            maxStore = max(maxStore, store.snapshot().storeBytes)
            #expect(store.snapshot().pins.map { $0.pinnedBytes <= pinQuota } ?? false)
        }
        store.close()
        #expect(maxStore <= Self.quota)
        let created = events.filter { $0.action == .created }.map(\.pin)
        let evicted = events.filter { $0.action == .evicted }.map(\.pin)
        #expect(created.count == 3)
        #expect(evicted.count >= 1)
        // Oldest first: the first evicted is the first created, and the newest survives.
        #expect(evicted.first?.id == created.first?.id)
        #expect(keeper.pins.contains { $0.id == created.last?.id })
        #expect(!keeper.pins.contains { $0.id == created.first?.id })
        // Evicted pins are gone from the file too, and their segments from the store.
        let file = try PinBook(layout: layout).load()
        #expect(Set(file.pins.map(\.id)) == Set(keeper.pins.map(\.id)))
        let segs = store.catalog.segments()
        #expect(segs.contains { created.last!.covers($0) })
        #expect(!segs.contains { created.first!.covers($0) })
        #expect(store.snapshot().pins?.evicted == UInt64(evicted.count))
    }

    @Test("a pin whose end lies ahead protects the segments still being written as they close")
    func futurePinProtectsNewSegments() throws {
        let dir = Support.temporaryDirectory("pins")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layout = StoreLayout(root: dir + "/s")
        let store = try SegmentStore(layout: layout, config: Self.storage(), logger: Support.logger)
        store.pins = PinKeeper(layout: layout, config: Self.pins(quota: 96 << 10), storage: Self.storage(), logger: Support.logger)
        // Ordered through the API before the packets exist: [100 s, 140 s].
        let pin = Pin(id: Pin.newID(), from: Self.start + 100 * Self.second, to: Self.start + 140 * Self.second, reason: "operator",
                      origin: .api, created: WallClock.nanos())
        try PinBook(layout: layout).create(pin)
        for i in 0..<1200 {
            let bytes = Self.packet(i)
            bytes.withUnsafeBytes { _ = store.append(Self.header(i), $0, format: Self.format) }
        }
        store.close()
        let kept = store.catalog.segments().filter { pin.covers($0) }
        let packets = kept.reduce(0) { $0 + $1.packets }
        #expect(kept.first.map { $0.firstNanos! <= pin.from } == true && kept.last.map { $0.lastNanos! >= pin.to } == true,
                "kept \(kept.map(\.id))")
        #expect(packets >= 41)
    }
}

/// Little-endian fields of a pcap file written by hand.
enum PacketBuilderLE {
    static func u32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
}
