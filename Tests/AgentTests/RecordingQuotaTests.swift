import Foundation
import PcapFormat
import Testing
import VigieTestSupport

@testable import Agent
import SystemIO

/// A recording's store keeps its own quota and retention beside the main ring: neither's rotation
/// reaches the other's segments. Fed through the pipeline as the capture thread feeds it.
@Suite("Planned recordings: own quota and retention")
struct RecordingQuotaTests {
    static let packetCount = 4000
    static let payload = SyntheticPackets(size: 500)

    /// Feeds `packetCount` packets (1 ms apart) through a pipeline whose main store has `main`
    /// storage and one recording `r` over all of them; returns the main store's counters.
    static func run(dir: String, main: StorageConfig, recording: RecordingDefinition) throws -> StoreCounters {
        var config = AgentConfig()
        config.store = dir + "/s"
        config.storage = main
        config.index.enabled = false
        config.recordings = [recording]
        let store = try SegmentStore.open(config: config, logger: Support.logger)
        let pipeline = try PacketPipeline(store: store, prefilter: nil)
        pipeline.recorder = try Recorder(config: config, logger: Support.logger)
        let p = payload
        try pipeline.prepare(for: p.format)
        p.payload.withUnsafeBytes { bytes in
            for i in 0..<packetCount {
                pipeline.process(p.header(i), bytes, format: p.format)
                if i % 256 == 255 { pipeline.recordingsPeriodic() }
            }
        }
        store.close()
        pipeline.recorder?.close()
        return store.snapshot()
    }

    static func recording(quota: UInt64, retention: RetentionMode) -> RecordingDefinition {
        var d = RecordingDefinition(id: "r", startNanos: 1_600_000_000_000_000_000, endNanos: 1_800_000_000_000_000_000, quotaBytes: quota)
        d.retention = retention
        return d
    }

    /// Bytes of every file in a store's segments folder (finished and partial).
    static func segmentBytes(_ layout: StoreLayout) -> UInt64 {
        FileSystem.list(layout.segmentsDirectory).reduce(0) { $0 + (FileSystem.fileSize(layout.segmentsDirectory + "/" + $1) ?? 0) }
    }

    @Test("a ring recording with a small quota stays under it while the main ring keeps storing everything")
    func recordingRingUnderQuota() throws {
        let dir = Support.temporaryDirectory("rec-quota")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var main = StorageConfig()
        main.segmentBytes = 256 << 10
        main.quotaBytes = 64 << 20
        let quota: UInt64 = 160 << 10
        let mainCounters = try Self.run(dir: dir, main: main, recording: Self.recording(quota: quota, retention: .ring))
        let layout = RecordingBook(store: dir + "/s").layout("r")
        let catalog = try SegmentCatalog(readingFrom: layout)
        let kept = catalog.segments()
        #expect(Self.segmentBytes(layout) <= quota)
        #expect(kept.reduce(0) { $0 + $1.bytes } <= quota)
        // Ring: the oldest went, the newest packet is there.
        #expect(kept.first.map { $0.id > 1 } ?? false, "ring retention should have deleted the first segments")
        #expect(kept.last?.lastNanos == Self.payload.header(Self.packetCount - 1).timestampNanos)
        #expect(kept.reduce(0) { $0 + $1.packets } < UInt64(Self.packetCount))
        // The main store was not limited by the recording's quota.
        #expect(mainCounters.packetsStored == UInt64(Self.packetCount))
        #expect(mainCounters.segmentsDeletedByRetention == 0)
    }

    @Test("a linear recording stops at its quota; the main ring is unaffected")
    func recordingLinearStops() throws {
        let dir = Support.temporaryDirectory("rec-linear")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var main = StorageConfig()
        main.segmentBytes = 256 << 10
        main.quotaBytes = 64 << 20
        let quota: UInt64 = 200 << 10
        let mainCounters = try Self.run(dir: dir, main: main, recording: Self.recording(quota: quota, retention: .linear))
        let layout = RecordingBook(store: dir + "/s").layout("r")
        let kept = try SegmentCatalog(readingFrom: layout).segments()
        #expect(Self.segmentBytes(layout) <= quota)
        // Linear: the first packets are kept, the rest refused.
        #expect(kept.first?.firstNanos == Self.payload.header(0).timestampNanos)
        let packets = kept.reduce(0) { $0 + $1.packets }
        #expect(packets > 0 && packets < UInt64(Self.packetCount))
        #expect(mainCounters.packetsStored == UInt64(Self.packetCount))
    }

    @Test("the main ring's rotation never deletes recording data")
    func mainRingSparesRecording() throws {
        let dir = Support.temporaryDirectory("rec-mainring")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var main = StorageConfig()
        main.segmentBytes = 64 << 10
        main.quotaBytes = 256 << 10
        main.retention = .ring
        let mainCounters = try Self.run(dir: dir, main: main, recording: Self.recording(quota: 16 << 20, retention: .linear))
        #expect(mainCounters.segmentsDeletedByRetention > 0, "the main ring should have rotated")
        #expect(mainCounters.storeBytes <= main.quotaBytes)
        let kept = try SegmentCatalog(readingFrom: RecordingBook(store: dir + "/s").layout("r")).segments()
        #expect(kept.reduce(0) { $0 + $1.packets } == UInt64(Self.packetCount))
        #expect(kept.first?.firstNanos == Self.payload.header(0).timestampNanos)
    }
}
