import Foundation
import PcapFormat
import Testing
import VigieTestSupport

@testable import Agent
import SystemIO

/// The capturing process follows `recordings.json` as another process (the API) changes it: a
/// recording added while capturing starts being fed, a cancelled one stops, and a purge of data the
/// capture holds is done by the capture.
@Suite("Planned recordings: the capture follows the recordings file")
struct RecordingLifecycleTests {
    static let packets = SyntheticPackets(size: 200)

    final class Capture {
        let store: SegmentStore
        let pipeline: PacketPipeline
        var next = 0
        /// The monotonic time the test hands to the periodic work (one step = 1 s: every call may reload).
        var clock: Int64 = 10_000_000_000

        init(dir: String) throws {
            var config = AgentConfig()
            config.store = dir + "/s"
            config.index.enabled = false
            store = try SegmentStore.open(config: config, logger: Support.logger)
            pipeline = try PacketPipeline(store: store, prefilter: nil)
            pipeline.recorder = try Recorder(config: config, logger: Support.logger)
            try pipeline.prepare(for: RecordingLifecycleTests.packets.format)
        }

        /// `n` more packets, then the periodic work as the capture loop does it.
        func feed(_ n: Int) {
            let p = RecordingLifecycleTests.packets
            p.payload.withUnsafeBytes { bytes in
                for _ in 0..<n {
                    pipeline.process(p.header(next), bytes, format: p.format)
                    next += 1
                }
            }
            periodic()
        }

        func periodic() {
            clock += 1_000_000_000
            pipeline.recorder?.periodic(now: clock)
            pipeline.refreshRecordings()
        }
    }

    static func definition(_ id: String) -> RecordingDefinition {
        RecordingDefinition(id: id, startNanos: 1_600_000_000_000_000_000, endNanos: 1_800_000_000_000_000_000, quotaBytes: 64 << 20)
    }

    static func packetsIn(_ book: RecordingBook, _ id: String) throws -> UInt64 {
        try SegmentCatalog(readingFrom: book.layout(id)).segments().reduce(0) { $0 + $1.packets }
    }

    @Test("added while capturing: fed from the next check on; cancelled: no longer fed; purged: deleted by the capture")
    func followsTheFile() throws {
        let dir = Support.temporaryDirectory("rec-life")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let capture = try Capture(dir: dir)
        let book = RecordingBook(store: dir + "/s")
        capture.feed(100)
        #expect(capture.pipeline.liveRecorder == nil, "no recording: the per-packet path does nothing")

        // Another process adds a recording (as POST does).
        try book.update { $0.append(Self.definition("late")) }
        capture.periodic()
        #expect(capture.pipeline.liveRecorder != nil)
        capture.feed(300)
        #expect(try book.load().first?.state == .recording)

        // It cancels it with purge: the capture holds the store, so the API cannot delete it...
        try book.update { defs in defs[0].state = .cancelled; defs[0].purge = true }
        #expect(!Recorder.removeData(book.layout("late")))
        #expect(FileSystem.exists(book.layout("late").root))
        // ...the capture stops feeding it, deletes its data and drops the definition at its next check.
        capture.feed(50)
        #expect(!FileSystem.exists(book.layout("late").root))
        #expect(try book.load().isEmpty)
        #expect(capture.pipeline.liveRecorder == nil)

        // Cancelled without purge: the data stays, nothing more is stored.
        try book.update { $0.append(Self.definition("kept")) }
        capture.feed(200)  // opened at this check: these packets precede it
        capture.feed(200)
        try book.update { defs in defs[0].state = .cancelled }
        capture.periodic()
        #expect(try Self.packetsIn(book, "kept") == 200)
        capture.feed(500)
        #expect(try Self.packetsIn(book, "kept") == 200)
        #expect(try book.load().map(\.state) == [.cancelled])
        capture.store.close()
        #expect(capture.store.snapshot().packetsStored == UInt64(capture.next))
    }
}
