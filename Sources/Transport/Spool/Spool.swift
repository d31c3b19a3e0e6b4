import Foundation
import Logging
import Records
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// The durable, segmented on-disk log every exported record goes through before any sink sees it.
///
/// ```swift
/// let spool = try Spool(config: SpoolConfig(directory: "STORE/spool"), sinks: ["kafka", "http"], logger: logger)
/// spool.append(kind: .conn, key: serviceID, payload: jsonBytes)   // producer thread, never blocks on I/O
/// let reader = spool.reader(for: "kafka")                          // one per sink thread
/// let batch = reader.next(limit: 500, waitSeconds: 0.5)
/// spool.acknowledge(sink: "kafka", upTo: lastConfirmed + 1)        // only after the sink confirmed
/// ```
///
/// `append` copies the record into memory under a short lock; a flusher thread writes and fsyncs
/// every `flushInterval`, rotates segments, persists each sink's cursor, and deletes a segment
/// once every configured sink confirmed all of it. Readers only see fsynced records. After a crash
/// the torn tail of the last segment is cut and delivery resumes from each sink's cursor:
/// duplicates are possible (confirmed but cursor not yet saved), gaps are not.
public final class Spool: @unchecked Sendable {
    // @unchecked: every mutable property below is guarded by `lock`, except `writeFD`, which only
    // the flusher thread touches (after `init`).
    public let config: SpoolConfig
    /// The sinks whose confirmations a segment waits for.
    public let sinks: [String]
    private let logger: Logger
    private let lock = ConditionLock()
    private let cursorDirectory: String

    private var pending: [UInt8] = []
    private var pendingFirstSeq: UInt64 = 0
    private var nextSeq: UInt64
    private var durableSeq: UInt64
    private var segments: SpoolSegments
    private var cursors: [String: UInt64]
    private var cursorsDirty = false
    /// When records became durable, for the age of each sink's backlog: one mark a second at most,
    /// `seq` being the durable bound then; marks every sink has passed are dropped.
    private var durableMarks = DurableMarks()
    private var appendedByKind = [UInt64](repeating: 0, count: RecordKind.allCases.count)
    private var droppedByKind = [UInt64](repeating: 0, count: RecordKind.allCases.count)
    private var corruptSkipped: UInt64 = 0
    private var bytes: UInt64 = 0
    private var writeError: String?
    private var stopping = false
    private var stopped = false
    private var flushRequested = false
    private var writeFD: Int32 = -1

    /// Opens (creating if needed) the spool in `config.directory`, recovering after a crash.
    public init(config: SpoolConfig, sinks: [String], logger: Logger) throws(ExportError) {
        self.config = config
        self.sinks = sinks
        self.logger = logger
        cursorDirectory = config.directory + "/cursors"
        for dir in [config.directory, cursorDirectory] {
            try ExportError.io { () throws(SystemError) in try FileSystem.makeDirectory(dir, mode: 0o750) }
        }
        segments = SpoolSegments(directory: config.directory)
        var next = try segments.load()
        let oldest = segments.list.first?.firstSeq ?? next
        var loaded: [String: UInt64] = [:]
        for sink in sinks {
            // A sink with no cursor yet (new in the configuration) gets everything still spooled.
            let saved = Self.readCursor(cursorDirectory + "/" + sink + ".cursor") ?? oldest
            loaded[sink] = max(saved, oldest)
            next = max(next, saved)
        }
        cursors = loaded
        nextSeq = next
        durableSeq = next
        // What is spooled from before this start is at least as old as the start.
        durableMarks.note(seq: next, at: monotonicNanos(), force: true)
        pendingFirstSeq = next
        bytes = segments.list.reduce(0) { $0 + $1.bytes }
        let thread = Thread { [self] in flusherLoop() }
        thread.name = "vigie-spool"
        thread.start()
    }

    deinit { if writeFD >= 0 { Glibc.close(writeFD) } }

    // MARK: Producer side

    /// Spools one record; returns false when it was refused because the spool is full (counted
    /// per kind). Never waits for I/O.
    @discardableResult
    public func append(kind: RecordKind, key: [UInt8], payload: UnsafeRawBufferPointer) -> Bool {
        let size = UInt64(SpoolFormat.recordHeaderSize + SpoolFormat.bodyFixedSize + key.count + payload.count)
        return lock.withLock {
            guard !stopping, Double(bytes + size) <= Double(config.maxBytes) * kind.admissionShare else {
                droppedByKind[Int(kind.spoolCode)] &+= 1
                return false
            }
            if pending.isEmpty { pendingFirstSeq = nextSeq }
            key.withUnsafeBytes { SpoolFormat.appendRecord(to: &pending, seq: nextSeq, kind: kind, key: $0, payload: payload) }
            nextSeq &+= 1
            bytes &+= size
            appendedByKind[Int(kind.spoolCode)] &+= 1
            return true
        }
    }

    /// Convenience for byte arrays.
    @discardableResult
    public func append(kind: RecordKind, key: String, payload: [UInt8]) -> Bool {
        payload.withUnsafeBytes { append(kind: kind, key: Array(key.utf8), payload: $0) }
    }

    // MARK: Sink side

    /// A reader positioned at `sink`'s cursor (its first unconfirmed record).
    public func reader(for sink: String) -> SpoolReader {
        SpoolReader(spool: self, sink: sink, position: lock.withLock { cursors[sink] ?? 0 })
    }

    /// Records that every record of `sink` before `seq` was delivered; segments all sinks have
    /// confirmed are deleted by the flusher.
    public func acknowledge(sink: String, upTo seq: UInt64) {
        lock.withLock {
            if let current = cursors[sink], seq > current {
                cursors[sink] = seq
                cursorsDirty = true
                durableMarks.drop(before: cursors.values.min() ?? seq)
            }
        }
    }

    /// Waits up to `seconds` for records at or after `position` to become durable; returns the
    /// durable bound and the segment list.
    func waitForData(after position: UInt64, seconds: Double) -> (UInt64, [SpoolSegments.Segment]) {
        lock.withLock {
            if durableSeq <= position && !stopped { lock.wait(seconds: seconds) }
            return (durableSeq, segments.list)
        }
    }

    func noteCorrupt() {
        lock.withLock { corruptSkipped &+= 1 }
        logger.warning("damaged spool record skipped", metadata: ["spool": "\(config.directory)"])
    }

    // MARK: Control

    /// Counters and sizes.
    public func stats() -> SpoolStats {
        lock.withLock {
            var s = SpoolStats()
            for kind in RecordKind.allCases {
                s.appended[kind.name] = appendedByKind[Int(kind.spoolCode)]
                s.dropped[kind.name] = droppedByKind[Int(kind.spoolCode)]
            }
            s.corruptSkipped = corruptSkipped
            s.bytes = bytes
            s.quotaBytes = config.maxBytes
            s.segments = segments.list.count
            s.nextSeq = nextSeq
            s.durableSeq = durableSeq
            let now = monotonicNanos()
            for (sink, cursor) in cursors {
                s.pending[sink] = durableSeq > cursor ? durableSeq - cursor : 0
                s.backlogAgeSeconds[sink] = durableSeq > cursor ? durableMarks.age(of: cursor, now: now) : 0
            }
            s.writeError = writeError
            return s
        }
    }

    /// Writes and fsyncs everything appended so far, then returns (or after `timeout` seconds).
    public func flush(timeout: Double = 10) {
        let target = lock.withLock { () -> UInt64 in
            flushRequested = true
            lock.broadcast()
            return nextSeq
        }
        let deadline = monotonicNanos() + Int64(timeout * 1e9)
        lock.withLock {
            while durableSeq < target && !stopped && monotonicNanos() < deadline { lock.wait(seconds: 0.05) }
        }
    }

    /// Flushes, stops the flusher thread and refuses further records. Idempotent.
    public func close() {
        lock.withLock {
            stopping = true
            lock.broadcast()
            while !stopped { lock.wait(seconds: 0.1) }
        }
    }

    // MARK: Flusher thread

    private func flusherLoop() {
        while true {
            var batch: [UInt8] = []
            var firstSeq: UInt64 = 0, endSeq: UInt64 = 0
            var cursorSnapshot: [String: UInt64]?
            let finishing = lock.withLock { () -> Bool in
                if !stopping && !flushRequested { lock.wait(seconds: config.flushInterval) }
                flushRequested = false
                swap(&batch, &pending)
                firstSeq = pendingFirstSeq
                endSeq = nextSeq
                if cursorsDirty { cursorSnapshot = cursors; cursorsDirty = false }
                return stopping
            }
            if !batch.isEmpty { writeBatch(batch, firstSeq: firstSeq, endSeq: endSeq) }
            if let cursorSnapshot { saveCursors(cursorSnapshot) }
            deleteConfirmedSegments()
            if finishing && lock.withLock({ pending.isEmpty || writeError != nil }) {
                saveCursors(lock.withLock { cursors })
                if writeFD >= 0 { _ = fsync(writeFD); Glibc.close(writeFD); writeFD = -1 }
                lock.withLock { stopped = true; lock.broadcast() }
                return
            }
        }
    }

    private func writeBatch(_ batch: [UInt8], firstSeq: UInt64, endSeq: UInt64) {
        var offset = 0
        do throws(ExportError) {
            while offset < batch.count {
                let seq = SpoolFormat.seqOfRecord(batch, at: offset)
                try openSegmentIfNeeded(firstSeq: seq)
                // Fill the open segment up to its size (at least one record), then rotate.
                let (room, path) = lock.withLock { () -> (UInt64, String) in
                    let open = segments.list[segments.list.count - 1]
                    return (config.segmentBytes > open.bytes ? config.segmentBytes - open.bytes : 0, open.path)
                }
                let end = SpoolFormat.chunkEnd(batch, from: offset, room: Int(min(room, UInt64(Int.max))))
                try ExportError.io { [writeFD] () throws(SystemError) in
                    try FileSystem.writeAll(writeFD, batch, range: offset..<end, path: path)
                    try FileSystem.fsync(writeFD, path: path)
                }
                let next = end < batch.count ? SpoolFormat.seqOfRecord(batch, at: end) : endSeq
                lock.withLock {
                    segments.list[segments.list.count - 1].bytes += UInt64(end - offset)
                    durableSeq = next
                    durableMarks.note(seq: next, at: monotonicNanos())
                    if writeError != nil { logger.notice("spool writes resumed", metadata: ["spool": "\(config.directory)"]) }
                    writeError = nil
                    lock.broadcast()
                }
                offset = end
            }
        } catch {
            // Keep the unwritten records: put them back in front and retry next cycle (e.g. disk full).
            lock.withLock {
                if writeError == nil {
                    logger.error("cannot write spool; records kept in memory and retried", metadata: ["error": "\(error)"])
                }
                writeError = error.description
                pending = Array(batch[offset...]) + pending
                pendingFirstSeq = SpoolFormat.seqOfRecord(batch, at: offset)
            }
            if writeFD >= 0 { Glibc.close(writeFD); writeFD = -1 }  // reopen (and cut any torn write) next time
        }
    }

    /// Opens the last segment for appending, or starts a new one when there is none or it is full.
    private func openSegmentIfNeeded(firstSeq: UInt64) throws(ExportError) {
        let last = lock.withLock { segments.list.last }
        if writeFD >= 0, let last, last.bytes < config.segmentBytes { return }
        if writeFD >= 0 { _ = fsync(writeFD); Glibc.close(writeFD); writeFD = -1 }
        if let last, last.bytes < config.segmentBytes {
            let (_, validEnd) = try SpoolSegments.scan(last.path, firstSeq: last.firstSeq)
            writeFD = try ExportError.io { () throws(SystemError) in try FileSystem.open(last.path, O_WRONLY) }
            if ftruncate(writeFD, off_t(validEnd)) != 0 || lseek(writeFD, off_t(validEnd), SEEK_SET) < 0 {
                throw ExportError(.last("truncate", path: last.path))
            }
            lock.withLock { segments.list[segments.list.count - 1].bytes = validEnd }
            return
        }
        let path = config.directory + "/" + SpoolFormat.fileName(firstSeq: firstSeq)
        writeFD = try ExportError.io { () throws(SystemError) in
            try FileSystem.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o640, as: "create")
        }
        let header = SpoolFormat.fileHeader(firstSeq: firstSeq)
        try ExportError.io { [writeFD] () throws(SystemError) in try FileSystem.writeAll(writeFD, header, path: path) }
        FileSystem.fsyncDirectory(config.directory)
        lock.withLock {
            segments.list.append(.init(firstSeq: firstSeq, path: path, bytes: UInt64(header.count)))
            bytes &+= UInt64(header.count)
        }
    }

    private func deleteConfirmedSegments() {
        let doomed: [SpoolSegments.Segment] = lock.withLock {
            let confirmed = sinks.compactMap { cursors[$0] }.min() ?? durableSeq
            var out: [SpoolSegments.Segment] = []
            // A segment is done when the next one starts at or before the confirmed bound; the
            // last (open) segment is never deleted here.
            while segments.list.count > 1 && segments.list[1].firstSeq <= min(confirmed, durableSeq) {
                out.append(segments.list.removeFirst())
            }
            for s in out { bytes -= min(bytes, s.bytes) }
            return out
        }
        for segment in doomed { unlink(segment.path) }
        if !doomed.isEmpty { FileSystem.fsyncDirectory(config.directory) }
    }

    private func saveCursors(_ snapshot: [String: UInt64]) {
        for (sink, seq) in snapshot {
            let path = cursorDirectory + "/" + sink + ".cursor"
            do throws(ExportError) {
                try ExportError.io { () throws(SystemError) in try AtomicFile.write(Array("\(seq)\n".utf8), to: path, mode: 0o640) }
            } catch {
                logger.warning("cannot save spool cursor", metadata: ["sink": "\(sink)", "error": "\(error)"])
            }
        }
    }

    static func readCursor(_ path: String) -> UInt64? {
        guard let bytes = try? SpoolSegments.readFile(path) else { return nil }
        return UInt64(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// When the spool's records became durable, coarsely: `(seq, time)` marks, one a second at most,
/// each saying "every record before `seq` was durable at `time`". The oldest undelivered record of
/// a sink was durable by the first mark past its cursor: its age is known within about a second.
struct DurableMarks {
    private var marks: [(seq: UInt64, nanos: Int64)] = []
    private var head = 0
    /// A day of marks at one a second; past it the oldest go (the age is then a lower bound).
    static let limit = 86_400

    mutating func note(seq: UInt64, at nanos: Int64, force: Bool = false) {
        if !force, head < marks.count, let last = marks.last, nanos - last.nanos < 1_000_000_000 { return }
        marks.append((seq, nanos))
        if marks.count - head > Self.limit { head += 1 }
        compact()
    }

    /// Forgets the marks of records every sink has delivered (those before `seq`), but the last one.
    mutating func drop(before seq: UInt64) {
        while head + 1 < marks.count, marks[head + 1].seq <= seq { head += 1 }
        compact()
    }

    /// Seconds since record `seq` was durable (0 when no mark covers it).
    func age(of seq: UInt64, now: Int64) -> Double {
        for i in head ..< marks.count where marks[i].seq > seq {
            return Double(max(0, now - marks[i].nanos)) / 1e9
        }
        return 0
    }

    private mutating func compact() {
        if head > 1024 && head * 2 > marks.count {
            marks.removeFirst(head)
            head = 0
        }
    }
}
