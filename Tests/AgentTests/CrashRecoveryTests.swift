import Foundation
import PcapFormat
import Testing
import VigieTestSupport

@testable import Agent
import SystemIO

/// A crash leaves a `.partial` segment (maybe with a torn last record) and an open catalog entry;
/// reopening the store must publish the whole records and catalog them, touching nothing else.
@Suite("Crash recovery")
struct CrashRecoveryTests {
    /// Writes packets, flushes, then "crashes" (drops the store without closing) and appends junk.
    func crashedStore(tornBytes: [UInt8]) throws -> (String, UInt64) {
        let dir = Support.temporaryDirectory("crash")
        var config = StorageConfig()
        config.segmentBytes = 32 << 10
        config.writeBufferBytes = 64 << 10
        let gen = SyntheticPackets(size: 500)
        var store: SegmentStore? = try SegmentStore(layout: StoreLayout(root: dir), config: config, logger: Support.logger)
        for i in 0..<150 { gen.payload.withUnsafeBytes { _ = store!.append(gen.header(i), $0, format: gen.format) } }
        store!.tick(now: WallClock.nanos() + 2_000_000_000)  // flushes the buffer (2 s < the 60 s rotation)
        let partialID = store!.currentSegment?.id ?? 0
        store!.abandonForCrashTest()  // like kill -9: no close, no catalog updates
        store = nil
        let partial = StoreLayout(root: dir).partialPath(partialID)
        if FileManager.default.fileExists(atPath: partial), let h = FileHandle(forWritingAtPath: partial) {
            h.seekToEndOfFile()
            h.write(Data(tornBytes))
            try h.close()
        }
        return (dir, partialID)
    }

    @Test("a torn record is cut and the partial segment published", arguments: [[], [1, 2, 3], Array(repeating: 0xAB, count: 40)])
    func recoversPartial(torn: [UInt8]) throws {
        let (dir, partialID) = try crashedStore(tornBytes: torn)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layout = StoreLayout(root: dir)
        let before = try SegmentCatalog(readingFrom: layout).segments().filter { $0.state == .complete }
        let beforeBytes = try before.map { try Data(contentsOf: URL(fileURLWithPath: layout.segmentPath($0.id))) }
        let store = try SegmentStore(layout: layout, config: StorageConfig(), logger: Support.logger)
        let segs = store.catalog.segments()
        // The partial one, plus any the crash caught between their publication and their catalog entry.
        #expect(store.snapshot().segmentsRecovered >= 1)
        #expect(segs.contains { $0.id == partialID && $0.state == .recovered })
        #expect(segs.reduce(0) { $0 + $1.packets } == 150)
        #expect(FileSystem.list(layout.segmentsDirectory).allSatisfy { !$0.hasSuffix(".partial") })
        // Finished segments are untouched.
        for (s, bytes) in zip(before, beforeBytes) {
            #expect(try Data(contentsOf: URL(fileURLWithPath: layout.segmentPath(s.id))) == bytes)
        }
        // The recovered file reads cleanly in tshark.
        if Support.hasTool("tshark"), let rec = segs.first(where: { $0.state == .recovered }) {
            let r = try Support.run(["tshark", "-r", layout.segmentPath(rec.id), "-T", "fields", "-e", "frame.number"])
            #expect(r.status == 0)
            #expect(r.stdout.split(separator: "\n").count == Int(rec.packets))
            #expect(!r.stderr.contains("cut short") && !r.stderr.contains("damaged"))
        }
    }

    @Test("a torn catalog line is skipped, earlier lines kept")
    func tornCatalogLine() throws {
        let (dir, _) = try crashedStore(tornBytes: [])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layout = StoreLayout(root: dir)
        let h = FileHandle(forWritingAtPath: layout.catalogPath)!
        h.seekToEndOfFile()
        h.write(Data("0badc0de {\"op\":\"delete\",\"id\":1}\n3f2a".utf8))  // bad checksum, then a torn line
        try h.close()
        let catalog = try SegmentCatalog(readingFrom: layout)
        #expect(catalog.skippedLines == 1)
        #expect(catalog.entries[1] != nil)
    }
}
