import Foundation
import Testing
import VigieTestSupport
@testable import Agent

/// `recordings:` in the agent YAML (docs/recordings.md): parsed into definitions, and every bad
/// value refused with the item and key named.
@Suite struct RecordingConfigTests {
    static let good = "{id: r1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: 1GiB}"

    @Test func parsesADefinition() throws {
        let c = try ConfigLoader.parse("""
            recordings:
              - id: night-dns
                start: 2026-01-01T22:00:00Z
                end: 2026-01-02T06:00:00Z
                repeat: daily
                filter: udp port 53
                snaplen: 128
                index_fields: [dns.qname]
                quota: 2GiB
                retention: ring
            """)
        let d = try #require(c.recordings.first)
        #expect(d.id == "night-dns")
        #expect(d.startNanos == 1_767_304_800_000_000_000)
        #expect(d.durationNanos == 8 * 3600 * 1_000_000_000)
        #expect(d.repeatRule == .daily && d.filter == "udp port 53" && d.snaplen == 128)
        #expect(d.indexFields == ["dns.qname"] && d.quotaBytes == 2 << 30 && d.retention == .ring && d.state == .scheduled)
        // Defaults: once, every packet, whole packets, linear.
        let e = try #require(try ConfigLoader.parse("recordings: [\(Self.good)]").recordings.first)
        #expect(e.repeatRule == .none && e.filter == nil && e.snaplen == nil && e.retention == .linear)
    }

    @Test func occurrences() {
        var d = RecordingDefinition(id: "x", startNanos: 1000, endNanos: 1100, quotaBytes: 1 << 20)
        #expect(!d.covers(999) && d.covers(1000) && d.covers(1099) && !d.covers(1100) && !d.covers(5000))
        d.repeatRule = .every(nanos: 1000)
        #expect(d.covers(2000) && d.covers(2099) && !d.covers(2100) && !d.covers(2999) && d.covers(3050) && !d.covers(999))
        #expect(!d.covers(.max))
        #expect(!d.covers(.min))
        #expect(RecordingRepeat.parse("every 90s") == .every(nanos: 90_000_000_000))
        #expect(RecordingRepeat.parse("weekly")?.periodNanos == 604_800_000_000_000)
        #expect(RecordingRepeat.parse("every") == nil && RecordingRepeat.parse("every 0s") == nil && RecordingRepeat.parse("hourly") == nil)
    }

    @Test(arguments: [
        ("recordings: [{id: r1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: 1GiB, filter: 'tcp portt 80'}]",
         "recordings[0].filter", "portt"),
        ("recordings: [\(good), {id: r2, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: 1GiB, index_fields: [dns.qnam]}]",
         "recordings[1].index_fields", "unknown index field 'dns.qnam'"),
        ("recordings: [{id: r1, start: '2026-01-01T02:00:00Z', end: '2026-01-01T01:00:00Z', quota: 1GiB}]", "recordings[0].end", "after start"),
        ("recordings: [{id: r1, start: 'yesterday', end: '2026-01-01T01:00:00Z', quota: 1GiB}]", "recordings[0].start", "not a time"),
        ("recordings: [{id: R1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: 1GiB}]", "recordings[0].id", "slug"),
        ("recordings: [{id: ../x, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: 1GiB}]", "recordings[0].id", "slug"),
        ("recordings: [\(good), \(good)]", "recordings[1].id", "used twice"),
        ("recordings: [{id: r1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z'}]", "recordings[0].quota", "required"),
        ("recordings: [{id: r1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: 1GiB, repeat: hourly}]",
         "recordings[0].repeat", "not none, daily"),
        ("recordings: [{id: r1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: 1GiB, repeat: every 30m}]",
         "recordings[0].repeat", "overlap"),
        ("recordings: [{id: r1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: 1GiB, snaplen: 5}]",
         "recordings[0].snaplen", "from 14 to 262144"),
        ("recordings: [{id: r1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: 1GiB, retention: circular}]",
         "recordings[0].retention", "ring or linear"),
        ("recordings: [{id: r1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: 1GiB, colour: red}]",
         "recordings[0].colour", "unknown option"),
        ("recordings: {id: r1}", "recordings", "must be a list"),
    ])
    func errorsNameTheKey(yaml: String, option: String, message: String) {
        expectConfigError(yaml, option: option, message: message)
    }

    @Test("a quota larger than the store's free disk (statvfs) is refused")
    func quotaAboveFreeDisk() throws {
        let dir = Support.temporaryDirectory("rec-free")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let free = try #require(RecordingInput.freeBytes(dir))
        expectConfigError("""
            store: \(dir)/s
            recordings: [{id: r1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: \(free + (1 << 30))}]
            """, option: "recordings[0].quota", message: "free on the store's file system")
        // What the recording holds already counts as available (a restart must not refuse it): a
        // sparse segment file of 2 GiB stands for data it wrote.
        let segments = RecordingBook(store: dir + "/s").layout("r1").segmentsDirectory
        try FileManager.default.createDirectory(atPath: segments, withIntermediateDirectories: true)
        let fd = open(segments + "/000000000001.pcap", O_CREAT | O_WRONLY, 0o644)
        #expect(fd >= 0 && ftruncate(fd, 2 << 30) == 0)
        close(fd)
        let c = try ConfigLoader.parse("""
            store: \(dir)/s
            recordings: [{id: r1, start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z', quota: \(free + (1 << 30))}]
            """)
        #expect(c.recordings.first?.quotaBytes == free + (1 << 30))
    }

    @Test("recordings.json round-trips definitions and states")
    func bookRoundTrip() throws {
        let dir = Support.temporaryDirectory("rec-book")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let book = RecordingBook(store: dir)
        var d = try #require(try ConfigLoader.parse("""
            recordings: [{id: a, start: '2026-01-01T00:00:00.123456789Z', end: '2026-01-01T01:00:00Z', quota: 1GiB,
                          repeat: every 2h, filter: 'tcp', snaplen: 64, index_fields: [tls.sni], retention: ring}]
            """).recordings.first)
        d.state = .cancelled
        d.purge = true
        #expect(try book.update { defs in defs.append(d); return defs.count } == 1)
        #expect(try book.load() == [d])
        let v = book.version()
        #expect(v != nil)
        try book.update { _ in }  // unchanged: not rewritten
        #expect(book.version() == v)
    }
}
