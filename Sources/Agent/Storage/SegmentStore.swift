import Logging
import PcapFormat
import PcapKit
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// The write side of a store: rotates segments by size, duration and link type, enforces ring or
/// linear retention under the quota, survives a full disk, and keeps the catalog in step.
///
/// Not thread-safe: owned by the one capture thread. One process per store (an `flock` on
/// `state/lock` enforces it).
public final class SegmentStore {
    public let layout: StoreLayout
    /// Changed only by ``reconfigure(_:)`` (central configuration), on the capture thread.
    public private(set) var config: StorageConfig
    public let catalog: SegmentCatalog
    public private(set) var counters = StoreCounters()
    /// Called after a segment is deleted by retention.
    public var onSegmentDeleted: ((UInt64) -> Void)?
    /// Removes what belongs to a segment outside the store's own files (its index), right after
    /// retention unlinks the segment and before the catalog records the deletion. The store never
    /// deletes index files itself: `SegmentStore.open(config:logger:)` wires this to the indexer.
    public var removeSegmentIndex: ((UInt64) -> Void)?
    /// Called after a segment is published (complete).
    public var onSegmentClosed: ((SegmentInfo) -> Void)?
    /// The pins ring retention respects (docs/pins.md); nil: none.
    public var pins: PinKeeper?
    /// Indexes stored packets per segment (nil: no index).
    public var indexer: StoreIndexer? {
        didSet { indexerRef = indexer.map { Unmanaged.passUnretained($0) } }
    }
    /// `indexer` without reference counting on the per-packet path (a retain/release pair per
    /// packet showed in the profile); `indexer` keeps the object alive.
    private var indexerRef: Unmanaged<StoreIndexer>?

    private let logger: Logger
    private let lockFD: Int32
    private var writer: SegmentWriter?
    /// Bytes of finished segments.
    private var finishedBytes: UInt64 = 0
    /// Bytes of segments handed to the finisher and not yet cataloged complete.
    private var closingBytes: UInt64 = 0
    private let finisher: SegmentFinisher
    private let segmentNanos: Int64
    private var lastFlushWall: Int64 = 0
    private var lastAgeCheckPacket: Int64 = 0

    /// Opens (creating if needed) the store at `layout`, takes its lock and recovers any segment a
    /// crash left partial.
    public init(layout: StoreLayout, config: StorageConfig, logger: Logger, now: Int64 = WallClock.nanos()) throws(StorageError) {
        self.layout = layout
        self.config = config
        self.logger = logger
        self.segmentNanos = Int64(config.segmentSeconds * 1e9)
        for dir in [layout.root, layout.segmentsDirectory, layout.catalogDirectory, layout.stateDirectory] {
            try StorageError.io { () throws(SystemError) in try FileSystem.makeDirectory(dir) }
        }
        lockFD = try StorageError.io { () throws(SystemError) in try FileSystem.open(layout.lockPath, O_RDWR | O_CREAT) }
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            Glibc.close(lockFD)
            throw StorageError(.locked, path: layout.root)
        }
        do {
            catalog = try SegmentCatalog(readingFrom: layout)
            if catalog.skippedLines > 0 {
                logger.warning("catalog lines skipped (bad checksum)", metadata: ["count": "\(catalog.skippedLines)"])
            }
            try catalog.openForWriting()
            let recovered = try CrashRecovery(layout: layout, catalog: catalog, logger: logger).run(now: now)
            counters.segmentsRecovered = UInt64(recovered)
            counters.quotaBytes = config.quotaBytes
            counters.retention = config.retention.rawValue
        } catch {
            Glibc.close(lockFD)
            throw error
        }
        finisher = SegmentFinisher(journal: catalog.journalSync, journalPath: layout.catalogPath)
        finishedBytes = catalog.entries.values.reduce(0) { $0 + $1.bytes }
        refreshSizeCounters()
    }

    deinit {
        finisher.shutdown()
        writer?.abandon()
        Glibc.close(lockFD)
    }

    /// Id of the segment being written, -1 when none is open.
    public var currentSegmentID: Int64 { writer.map { Int64($0.id) } ?? -1 }

    /// Stores one packet. Returns false when it was not stored (quota, full disk, I/O error);
    /// never throws: storage trouble is counted, logged once per state change, and shown in status.
    @inline(__always)
    @discardableResult
    public func append(_ header: PacketHeader, _ bytes: UnsafeRawBufferPointer, format: SourceFormat) -> Bool {
        guard acceptsPackets else {
            countNotStored(1)
            return false
        }
        let record = SegmentWriter.recordSize(UInt32(bytes.count))
        if let w = writer {
            if w.format != format || needsRotation(w, header.timestampNanos, record) {
                closeSegment()
                // Closing can hit a full disk and stop storing.
                guard acceptsPackets else {
                    countNotStored(1)
                    return false
                }
            }
        }
        if config.retention == .linear {
            let current = writer?.totalBytes ?? UInt64(PcapFileHeader.size)
            if finishedBytes + closingBytes + current + record > config.quotaBytes {
                reachQuota()
                countNotStored(1)
                return false
            }
        }
        if writer == nil {
            guard openSegment(format: format, packetNanos: header.timestampNanos) else {
                countNotStored(1)
                return false
            }
        }
        let w = writer.unsafelyUnwrapped
        let recordOffset = w.totalBytes
        do {
            try w.append(header, bytes)
        } catch {
            guard handleWriteError(error) else {
                countNotStored(1)
                return false
            }
            return append(header, bytes, format: format)
        }
        indexerRef?._withUnsafeGuaranteedRef {
            // The time as the record in the file holds it (32-bit seconds: see docs/storage.md), so
            // the index agrees with what a query reads back and with `reindex`.
            $0.packetStored(recordOffset: recordOffset, timestampNanos: header.storedNanos(nanosecond: format.nanosecond), bytes: bytes)
        }
        counters.packetsStored &+= 1
        counters.bytesStored &+= record
        if counters.state == .diskFull { setState(.storing, "space available again") }
        return true
    }

    /// Storing, or ring mode waiting for a full disk to free up (each packet retries).
    private var acceptsPackets: Bool {
        counters.state == .storing || counters.state == .diskFull && config.retention == .ring
    }

    @inline(__always)
    private func needsRotation(_ w: SegmentWriter, _ t: Int64, _ record: UInt64) -> Bool {
        if w.totalPackets > 0 && w.totalBytes + record > config.segmentBytes { return true }
        guard let start = w.startNanos else { return false }
        return t - start >= segmentNanos || start - t >= segmentNanos
    }

    /// Periodic work from the capture loop: catalog what the finisher published, flush for readers,
    /// rotate an idle segment by wall time (age retention runs when that opens the next segment).
    /// Call about once a second (and on read timeouts).
    public func tick(now: Int64 = WallClock.nanos()) {
        if finisher.pending > 0 { reapFinished() }
        pins?.refresh()
        guard let w = writer else { return }
        if now - w.openedAt >= segmentNanos && w.totalPackets > 0 {
            closeSegment()
            return
        }
        if now - lastFlushWall >= Int64(config.flushSeconds * 1e9) {
            lastFlushWall = now
            do { try w.flush() } catch { _ = handleWriteError(error) }
        }
    }

    /// Closes the current segment cleanly (SIGTERM, end of input).
    public func close(now: Int64 = WallClock.nanos()) {
        closeSegment(now: now)
        reapFinished(wait: true)
        // The close lines just written (catalog lines are not fsynced on the capture thread).
        do { try catalog.sync() } catch { record(error) }
        pins?.flush()
    }

    /// Closes the open segment now: the next packet opens a new one (a central configuration
    /// change takes effect there: docs/fleet.md).
    public func rotate() { closeSegment() }

    /// New retention, quota and age (central configuration): the open segment is closed, so the
    /// next one starts under them; ring retention makes room for it under the new quota.
    public func reconfigure(_ new: StorageConfig) {
        closeSegment()
        config = new
        counters.quotaBytes = new.quotaBytes
        counters.retention = new.retention.rawValue
        if counters.state == .quotaReached && (new.retention == .ring || finishedBytes + closingBytes + new.segmentBytes <= new.quotaBytes) {
            setState(.storing, "storage settings changed: storing again (\(new.retention.rawValue), quota \(new.quotaBytes) bytes)")
        }
    }

    /// Info on the segment being written, for status and queries.
    public var currentSegment: SegmentInfo? { writer?.info(state: .writing, closedAt: nil) }

    // MARK: - Segments

    private func openSegment(format: SourceFormat, packetNanos: Int64) -> Bool {
        if config.retention == .ring {
            enforceRing(reserving: config.segmentBytes, newestPacket: packetNanos)
        }
        let id = catalog.highestID + 1
        let now = WallClock.nanos()
        do {
            let w = try SegmentWriter(id: id, format: format, layout: layout, openedAt: now, bufferBytes: config.writeBufferBytes)
            try catalog.recordOpen(w.info(state: .writing, closedAt: nil))
            writer = w
            indexer?.segmentOpened(format: format)
            lastFlushWall = now
            counters.segmentsCreated &+= 1
            logger.debug("segment opened", metadata: ["segment": "\(id)", "link_type": "\(format.linkType)"])
            return true
        } catch {
            unlink(layout.partialPath(id))
            return handleWriteError(error) && openSegment(format: format, packetNanos: packetNanos)
        }
    }

    /// Writes the segment's last buffer and hands it to the finisher thread for fsync and rename.
    private func closeSegment(now: Int64 = WallClock.nanos()) {
        guard let w = writer else { return }
        while true {
            do {
                try w.flush()
                break
            } catch {
                // Ring: a full disk frees the oldest segment and tries again.
                if error.code == .noSpace, config.retention == .ring, let oldest = oldestFinished() {
                    logger.warning("disk full: ring retention frees the oldest segment", metadata: ["segment": "\(oldest.id)"])
                    deleteSegment(oldest, reason: "disk full")
                    continue
                }
                // Otherwise the buffered tail is lost (counted) and the written part is kept.
                unstore(w.dropPending())
                counters.lastError = error.description
                if error.code == .noSpace {
                    setState(.diskFull, "disk full: \(error)" + (config.retention == .linear ? "; storing stopped, capture goes on" : "; nothing left to delete"))
                } else {
                    setState(.failed, "storage stopped: \(error)")
                }
                break
            }
        }
        writer = nil
        let info = w.info(state: .complete, closedAt: now)
        if info.packets == 0 {
            w.abandon()
            unlink(w.partialPath)
            try? catalog.recordDelete(info.id, reason: "empty")
            return
        }
        closingBytes += info.bytes
        finisher.submit(.init(fd: w.detach(), partialPath: w.partialPath, finalPath: w.finalPath, info: info,
                              afterPublish: indexer?.segmentClosed(id: info.id)))
        refreshSizeCounters()
    }

    /// Catalogs the segments the finisher has published. `wait` blocks until all are done.
    private func reapFinished(wait: Bool = false) {
        let results = wait ? finisher.drain() : finisher.reap()
        if !wait { finisher.acknowledge(results.count) }
        for done in results {
            closingBytes -= min(closingBytes, done.info.bytes)
            if let error = done.error {
                // Left `writing` in the catalog: the next start's recovery publishes what is on disk.
                record(error)
                continue
            }
            do {
                try catalog.recordClose(done.info)
            } catch {
                record(error)  // the file is published; recovery catalogs it at the next start
            }
            finishedBytes += done.info.bytes
            onSegmentClosed?(done.info)
            logger.debug("segment closed", metadata: ["segment": "\(done.info.id)", "packets": "\(done.info.packets)"])
        }
        refreshSizeCounters()
    }

    /// The oldest segment retention may delete (published, not being written or finished).
    private func oldestFinished() -> SegmentInfo? {
        let all = catalog.segments()
        let keep = pins?.protectedSegments(all) ?? []
        return all.first { $0.state != .writing && !keep.contains($0.id) } ?? all.first { $0.state != .writing }
    }

    // MARK: - Retention

    /// Deletes oldest finished segments until `reserving` more bytes fit under the quota, and
    /// (with `max_age`) those older than the newest packet by more than the age.
    private func enforceRing(reserving: UInt64, newestPacket: Int64) {
        let ageLimit = config.maxAgeSeconds.map { newestPacket - Int64($0 * 1e9) }
        reapFinished()
        while true {
            let segments = catalog.segments()
            // Pinned segments are skipped; the pin quota leaves room for the ring (PinConfig.validate).
            let keep = pins?.protectedSegments(segments) ?? []
            for s in segments where s.state != .writing {
                let overQuota = finishedBytes + closingBytes + reserving > config.quotaBytes
                let tooOld = ageLimit.map { (s.lastNanos ?? .min) < $0 } ?? false
                guard overQuota || tooOld else { break }
                if keep.contains(s.id) { continue }
                deleteSegment(s, reason: overQuota ? "ring quota" : "max age")
            }
            let over = finishedBytes + closingBytes + reserving > config.quotaBytes
            // Still over with segments being published: wait for them (rare: a tight quota or a slow
            // disk), so that the store never exceeds its quota.
            if over && closingBytes > 0 {
                reapFinished(wait: true)
                continue
            }
            // Still over with only pinned segments left: the store quota wins over the pins.
            if over && !keep.isEmpty {
                for s in segments where keep.contains(s.id) && s.state != .writing
                    && finishedBytes + closingBytes + reserving > config.quotaBytes {
                    logger.warning("store quota: a pinned segment is deleted", metadata: ["segment": "\(s.id)"])
                    pins?.notePinnedDeleted()
                    deleteSegment(s, reason: "ring quota (pinned)")
                }
            }
            return
        }
    }

    private func deleteSegment(_ s: SegmentInfo, reason: String) {
        let path = layout.segmentsDirectory + "/" + s.file
        do throws(SystemError) { try FileSystem.remove(path) } catch {
            record(StorageError(error))
            return
        }
        removeSegmentIndex?(s.id)
        do { try catalog.recordDelete(s.id, reason: reason) } catch { record(error) }
        finishedBytes -= min(finishedBytes, s.bytes)
        counters.segmentsDeletedByRetention &+= 1
        refreshSizeCounters()
        onSegmentDeleted?(s.id)
        logger.debug("segment deleted", metadata: ["segment": "\(s.id)", "reason": "\(reason)"])
    }

    private func reachQuota() {
        if counters.state != .quotaReached {
            closeSegment()
            setState(.quotaReached, "linear retention: quota of \(config.quotaBytes) bytes reached; storing stopped, capture goes on")
        }
    }

    /// Reacts to a failed write. Returns true when the caller should retry (space was freed).
    private func handleWriteError(_ error: StorageError) -> Bool {
        guard error.code == .noSpace else {
            record(error)
            writer?.abandon()
            writer = nil
            setState(.failed, "storage stopped: \(error)")
            return false
        }
        if config.retention == .ring, let oldest = oldestFinished() {
            if counters.state != .diskFull {
                logger.warning("disk full: ring retention frees the oldest segment", metadata: ["segment": "\(oldest.id)"])
            }
            deleteSegment(oldest, reason: "disk full")
            return true
        }
        if let w = writer { unstore(w.dropPending()) }
        if config.retention == .linear {
            closeSegment()
        }
        counters.lastError = error.description
        setState(.diskFull, "disk full: \(error)" + (config.retention == .linear ? "; storing stopped, capture goes on" : "; nothing left to delete"))
        return false
    }

    /// Moves packets that were counted as stored but lost from a buffer to "not stored".
    private func unstore(_ dropped: (packets: UInt64, bytes: UInt64)) {
        counters.packetsStored &-= dropped.packets
        counters.bytesStored &-= dropped.bytes
        countNotStored(dropped.packets)
    }

    /// Counts packets not stored, under the reason the store's state gives (quota, full disk, error).
    private func countNotStored(_ n: UInt64) {
        counters.packetsNotStored &+= n
        switch counters.state {
        case .quotaReached: counters.notStoredQuota &+= n
        case .diskFull: counters.notStoredDiskFull &+= n
        case .storing, .failed: counters.notStoredError &+= n
        }
    }

    private func setState(_ s: StorageState, _ message: String) {
        guard counters.state != s else { return }
        counters.state = s
        if s == .storing { logger.notice("\(message)") } else { logger.error("\(message)") }
    }

    private func record(_ error: StorageError) {
        counters.lastError = error.description
        logger.error("storage error", metadata: ["error": "\(error)"])
    }

    private func refreshSizeCounters() {
        counters.storeBytes = finishedBytes + closingBytes + (writer?.totalBytes ?? 0)
        counters.segmentsInStore = UInt64(catalog.entries.count)
        counters.pins = pins?.snapshot()
        if let b = indexer?.buildCounters {
            counters.indexesWritten = b.written
            counters.indexesFailed = b.failed
            counters.indexBuildSeconds = b.seconds
        }
    }

    /// Test hook standing in for `kill -9`: lets the finisher complete its fsyncs and renames but
    /// records none of them in the catalog, as if the process had died before.
    func abandonForCrashTest() {
        _ = finisher.drain()
        writer?.abandon()
        writer = nil
    }

    /// Up-to-date counters (store size includes the open segment).
    public func snapshot() -> StoreCounters {
        refreshSizeCounters()
        return counters
    }
}
