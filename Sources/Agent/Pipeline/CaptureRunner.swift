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
    /// Configuration changes from the fleet client, applied between two packets (LiveReconfiguration.swift).
    public let reconfiguration = LiveReconfiguration()
    /// The configuration running now (set by the owner; ``reconfiguration`` replaces it).
    public var runningConfig: AgentConfig?
    /// The heartbeat and latest report other threads read (the systemd watchdog and status line).
    public let progress = CaptureProgress()
    /// Test hook `VIGIE_TEST_STALL_CAPTURE_FILE=PATH`: while PATH exists the capture thread blocks
    /// in `periodic()` (checked once a second), freezing capture while the rest of the process
    /// runs; the watchdog test uses it to see systemd's pings stop. Read once: nil costs nothing.
    private let stallFile: String? = ProcessInfo.processInfo.environment["VIGIE_TEST_STALL_CAPTURE_FILE"].flatMap { $0.isEmpty ? nil : $0 }

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
                // A configuration change waits at most 64 packets (a trickle of packets can keep
                // the read timeout from firing for 1,024 of them): one relaxed load every 64.
                if n & 1023 == 0 || n & 63 == 0 && reconfiguration.isPosted { periodic(live: live) }
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
        pipeline.recorder?.close()
        pipeline.analytics?.finish()
        pipeline.store.pins?.applyPendingTriggers()  // transitions of analytics' last windows (docs/pins.md)
        writeStatus(running: false)
        logStats()
    }

    private func periodic(live: LiveCapture?) {
        // The heartbeat: periodic work runs every 1024 packets and on each read timeout (100 ms)
        // of an idle link, so it advances exactly as long as this thread is not stuck; bumped
        // here and not per packet so that it costs nothing measurable.
        progress.beat()
        if let (config, reply) = reconfiguration.take() {
            guard let running = runningConfig else {
                reply(.failure(ConfigError(option: "(document)", "this capture takes no configuration change")))
                return
            }
            do throws(ConfigError) {
                let restart = try applyLive(config, over: running)
                runningConfig = config
                reply(.success(restart))
            } catch { reply(.failure(error)) }
        }
        let now = WallClock.monotonicNanos()
        pipeline.store.tick()
        pipeline.recordingsPeriodic()
        guard now - lastStatus >= 1_000_000_000 else { return }
        if let stallFile { stallWhileExists(stallFile) }
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
        let progress = progress
        let write: @Sendable () -> Void = {
            progress.publish(report)
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

    /// The test hook: blocks while `path` exists (see `stallFile`).
    private func stallWhileExists(_ path: String) {
        guard access(path, F_OK) == 0 else { return }
        logger.warning("capture thread stalled by the test hook", metadata: ["file": "\(path)"])
        while access(path, F_OK) == 0 { usleep(50_000) }
        logger.warning("capture thread released by the test hook")
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

/// What the capture thread shows of its progress to other threads, at no per-packet cost: a
/// heartbeat bumped by its periodic work, and its latest report (published off that thread, by the
/// status writer, about once a second).
public final class CaptureProgress: Sendable {
    private let beats = Atomic<UInt64>(0)
    private let latest = Mutex<StatusReport?>(nil)

    public init() {}

    /// Relaxed: readers only compare two values taken seconds apart; nothing else is ordered by it.
    func beat() { beats.wrappingAdd(1, ordering: .relaxed) }

    /// Passes of the capture loop's periodic work so far.
    public var heartbeat: UInt64 { beats.load(ordering: .relaxed) }

    func publish(_ report: StatusReport) { latest.withLock { $0 = report } }

    /// The last report written to the status file (nil before the first).
    public var report: StatusReport? { latest.withLock { $0 } }
}

/// A flag set on one thread and cleared on another.
private final class PendingFlag: Sendable {
    private let value = Mutex(false)

    /// Sets the flag; returns whether it was set already.
    func testAndSet() -> Bool { value.withLock { v in defer { v = true }; return v } }

    func clear() { value.withLock { $0 = false } }
}
