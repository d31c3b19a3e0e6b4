import Foundation
import Logging
import PcapFormat
import PcapKit
import Synchronization
import SystemIO

/// Drives packets from a source into a pipeline on the calling thread, doing the periodic work
/// (segment ticks, status file, stats log) as it goes. Used by both `capture` and `ingest`.
public final class CaptureRunner {
    public let pipeline: PacketPipeline
    public let logger: Logger
    public let mode: String
    public private(set) var sources: [String]
    private let startedAt = Date()
    private let statsInterval: Int64
    private var lastStatus: Int64 = 0
    private var lastLog: Int64 = 0
    private var lastRatePackets: UInt64 = 0
    private var rate: Double?
    /// Latest kernel counters of a live source.
    public var captureCounters: CaptureCounters?
    /// Called about once a second with the current report (the CLI prints progress from it).
    public var onProgress: ((StatusReport) -> Void)?
    /// Writes the status file off the capture thread: its fsync can wait ~100 ms behind the flush of
    /// a segment (the journal commit it joins, docs/storage.md), which the capture thread must not.
    private let statusQueue = DispatchQueue(label: "vigie.status")
    /// A periodic write still queued or running: the next one is skipped (the one after has newer
    /// counters anyway), so a slow disk never piles writes up.
    private let statusPending = PendingFlag()

    public init(pipeline: PacketPipeline, logger: Logger, mode: String, sources: [String], statsInterval: Double) {
        self.pipeline = pipeline
        self.logger = logger
        self.mode = mode
        self.sources = sources
        self.statsInterval = Int64(statsInterval * 1e9)
        let now = WallClock.monotonicNanos()
        lastStatus = now
        lastLog = now
    }

    /// Reads a live capture until it is stopped (`LiveCapture.stop()`), then closes the segment.
    public func run(live: LiveCapture) throws(PcapError) {
        try pipeline.prepare(for: live.format)
        let format = live.format
        var n: UInt64 = 0
        writeStatus(running: true)
        defer { finish(live: live) }
        loop: while true {
            switch try live.next() {
            case .packet(let h, let b):
                pipeline.process(h, b, format: format)
                n &+= 1
                if n & 1023 == 0 { periodic(live: live) }
            case .timeout:
                pipeline.analytics?.idle()
                periodic(live: live)
            case .end:
                break loop
            }
        }
    }

    /// Replays one capture file. Throws (after storing the readable prefix) if it is corrupt.
    public func run(file reader: CaptureFileReader) throws(PcapError) {
        try pipeline.prepare(for: reader.format)
        var format = reader.format
        var generation = reader.formatGeneration
        var n: UInt64 = 0
        while case .packet(let h, let b) = try reader.next() {
            if reader.formatGeneration != generation {
                generation = reader.formatGeneration
                format = reader.format
                try pipeline.prepare(for: format)
            }
            pipeline.process(h, b, format: format)
            n &+= 1
            if n & 65535 == 0 { periodic(live: nil) }
        }
    }

    /// Closes the open segment, ends analytics (final records, sinks drained for a while) and
    /// writes the final status (running = false). Order: capture has stopped, storage closes,
    /// then analytics, then export.
    public func finish(live: LiveCapture? = nil) {
        if let live { captureCounters = live.counters() }
        pipeline.store.close()
        pipeline.analytics?.finish()
        writeStatus(running: false)
        logStats()
    }

    private func periodic(live: LiveCapture?) {
        let now = WallClock.monotonicNanos()
        pipeline.store.tick()
        guard now - lastStatus >= 1_000_000_000 else { return }
        let dt = Double(now - lastStatus) / 1e9
        rate = Double(pipeline.counters.packetsReceived - lastRatePackets) / dt
        lastRatePackets = pipeline.counters.packetsReceived
        lastStatus = now
        if let live { captureCounters = live.counters() }
        writeStatus(running: true)
        if let onProgress { onProgress(report(running: true)) }
        if now - lastLog >= statsInterval {
            lastLog = now
            logStats()
        }
    }

    public func report(running: Bool) -> StatusReport {
        StatusReport(pid: getpid(), mode: mode, sources: sources, startedAt: startedAt, updatedAt: Date(),
                     running: running, pipeline: pipeline.counters, capture: captureCounters,
                     storage: pipeline.store.snapshot(), packetsPerSecond: rate,
                     analytics: pipeline.analytics.map { AnalyticsStatus($0) },
                     export: pipeline.analytics?.exportStatus())
    }

    /// Writes `state/status.json`: queued while running, waited for when `running` is false (the
    /// last report of a run).
    public func writeStatus(running: Bool) {
        let report = report(running: running)
        let layout = pipeline.store.layout
        let logger = logger
        let pending = statusPending
        let write: @Sendable () -> Void = {
            do {
                try report.write(layout: layout)
            } catch {
                logger.warning("cannot write status file", metadata: ["error": "\(error)"])
            }
            pending.clear()
        }
        if !running { return statusQueue.sync(execute: write) }
        if pending.testAndSet() { return }
        statusQueue.async(execute: write)
    }

    private func logStats() {
        let p = pipeline.counters
        let s = pipeline.store.snapshot()
        var meta: Logger.Metadata = [
            "received": "\(p.packetsReceived)", "filtered_out": "\(p.filteredOut)", "stored": "\(s.packetsStored)",
            "bytes_stored": "\(s.bytesStored)", "not_stored": "\(s.packetsNotStored)", "segments": "\(s.segmentsInStore)",
            "deleted_by_retention": "\(s.segmentsDeletedByRetention)", "store_bytes": "\(s.storeBytes)", "state": "\(s.state.rawValue)",
        ]
        if let c = captureCounters {
            meta["kernel_dropped"] = "\(c.droppedByKernel)"
            meta["interface_dropped"] = "\(c.droppedByInterface)"
        }
        logger.info("statistics", metadata: meta)
    }
}

/// A flag set on one thread and cleared on another.
private final class PendingFlag: Sendable {
    private let value = Mutex(false)

    /// Sets the flag; returns whether it was set already.
    func testAndSet() -> Bool { value.withLock { v in defer { v = true }; return v } }

    func clear() { value.withLock { $0 = false } }
}
