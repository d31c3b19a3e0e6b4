import Foundation
import PcapFormat
import Testing
import VigieTestSupport

@testable import Agent
import SystemIO

/// Rotation, retention and catalog behaviour of the segment store, checked on disk.
@Suite("Segment store")
struct SegmentStoreTests {
    func makeConfig(segment: UInt64 = 64 << 10, quota: UInt64 = 1 << 30, retention: RetentionMode = .ring) -> StorageConfig {
        var c = StorageConfig()
        c.segmentBytes = segment
        c.quotaBytes = quota
        c.retention = retention
        c.writeBufferBytes = 64 << 10
        return c
    }

    /// Sum of the sizes of the files in `segments/` (what the quota is about).
    func diskBytes(_ store: String) -> UInt64 {
        let dir = StoreLayout(root: store).segmentsDirectory
        return FileSystem.list(dir).reduce(0) { $0 + (FileSystem.fileSize(dir + "/" + $1) ?? 0) }
    }

    @Test("segments rotate at the size limit and never exceed it", arguments: [100, 1000, 1514])
    func rotatesBySize(packetSize: Int) throws {
        let dir = Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gen = SyntheticPackets(size: packetSize)
        let store = try SegmentStore(layout: StoreLayout(root: dir), config: makeConfig(), logger: Support.logger)
        let n = 2000
        for i in 0..<n { gen.payload.withUnsafeBytes { _ = store.append(gen.header(i), $0, format: gen.format) } }
        store.close()
        let segs = store.catalog.segments()
        #expect(segs.allSatisfy { $0.bytes <= 64 << 10 && $0.state == .complete })
        #expect(segs.reduce(0) { $0 + $1.packets } == UInt64(n))
        let perSegment = (64 << 10 - 24) / (16 + packetSize)
        #expect(segs.count == (n + perSegment - 1) / perSegment)
        // Catalog sizes are the real file sizes; time ranges chain without overlap.
        for s in segs {
            #expect(FileSystem.fileSize(StoreLayout(root: dir).segmentPath(s.id)) == s.bytes)
        }
        for (a, b) in zip(segs, segs.dropFirst()) { #expect(a.lastNanos! < b.firstNanos!) }
    }

    @Test("segments rotate by packet-time duration")
    func rotatesByDuration() throws {
        let dir = Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = makeConfig(segment: 1 << 30, quota: 4 << 30)
        c.segmentSeconds = 10
        let gen = SyntheticPackets(size: 60)
        let store = try SegmentStore(layout: StoreLayout(root: dir), config: c, logger: Support.logger)
        // 100 packets one second apart: 10 segments of 10 s each.
        for i in 0..<100 { gen.payload.withUnsafeBytes { _ = store.append(gen.header(i, stepNanos: 1_000_000_000), $0, format: gen.format) } }
        store.close()
        let segs = store.catalog.segments()
        #expect(segs.count == 10)
        #expect(segs.allSatisfy { $0.packets == 10 && $0.lastNanos! - $0.firstNanos! == 9_000_000_000 })
    }

    @Test("ring retention keeps the newest segments and respects the quota")
    func ringRetention() throws {
        let dir = Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let quota: UInt64 = 512 << 10
        let gen = SyntheticPackets(size: 1000)
        let store = try SegmentStore(layout: StoreLayout(root: dir), config: makeConfig(quota: quota), logger: Support.logger)
        var maxDisk: UInt64 = 0
        let n = 5000  // ~5 MB through a 512 KiB store
        for i in 0..<n {
            gen.payload.withUnsafeBytes { _ = store.append(gen.header(i), $0, format: gen.format) }
            if i % 50 == 0 { maxDisk = max(maxDisk, diskBytes(dir)) }
        }
        store.close()
        let segs = store.catalog.segments()
        let counters = store.snapshot()
        #expect(maxDisk <= quota + (64 << 10), "store exceeded quota by more than one segment: \(maxDisk)")
        #expect(diskBytes(dir) <= quota)
        #expect(counters.segmentsDeletedByRetention > 0)
        #expect(counters.packetsStored == UInt64(n) && counters.packetsNotStored == 0)
        // The newest packet is kept; what remains is one contiguous, most recent, run of segments.
        #expect(segs.last!.lastNanos == gen.header(n - 1).timestampNanos)
        #expect(zip(segs, segs.dropFirst()).allSatisfy { $0.id + 1 == $1.id })
        #expect(segs.count == FileSystem.list(StoreLayout(root: dir).segmentsDirectory).count)
    }

    @Test("linear retention stops storing at the quota and keeps running")
    func linearRetention() throws {
        let dir = Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let quota: UInt64 = 256 << 10
        let gen = SyntheticPackets(size: 1000)
        let store = try SegmentStore(layout: StoreLayout(root: dir), config: makeConfig(quota: quota, retention: .linear), logger: Support.logger)
        var stored = 0
        for i in 0..<1000 { gen.payload.withUnsafeBytes { if store.append(gen.header(i), $0, format: gen.format) { stored += 1 } } }
        store.close()
        let c = store.snapshot()
        #expect(c.state == .quotaReached)
        #expect(diskBytes(dir) <= quota)
        #expect(diskBytes(dir) > quota - 2 * 1016)  // filled up to the last whole packet
        #expect(c.packetsStored == UInt64(stored) && c.packetsNotStored == UInt64(1000 - stored))
        #expect(c.segmentsDeletedByRetention == 0)
        // The oldest data is what was kept.
        #expect(store.catalog.segments().first!.firstNanos == gen.header(0).timestampNanos)
    }

    @Test("a link-type change starts a new segment")
    func linkTypeChange() throws {
        let dir = Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var gen = SyntheticPackets(size: 80)
        let store = try SegmentStore(layout: StoreLayout(root: dir), config: makeConfig(), logger: Support.logger)
        for (i, lt) in [1, 1, 113, 113, 1].enumerated() {
            gen.format.linkType = UInt32(lt)
            gen.payload.withUnsafeBytes { _ = store.append(gen.header(i), $0, format: gen.format) }
        }
        store.close()
        #expect(store.catalog.segments().map(\.linkType) == [1, 113, 1])
        #expect(store.catalog.segments().map(\.packets) == [2, 2, 1])
    }

    @Test("a second writer on the same store is refused")
    func lock() throws {
        let dir = Support.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try SegmentStore(layout: StoreLayout(root: dir), config: makeConfig(), logger: Support.logger)
        #expect(throws: StorageError.self) {
            _ = try SegmentStore(layout: StoreLayout(root: dir), config: makeConfig(), logger: Support.logger)
        }
        _ = first
    }
}
