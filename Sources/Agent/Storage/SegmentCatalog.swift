import Foundation
import Synchronization
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// The segment catalog: every segment's time range, counts and state, kept in a crash-safe
/// append-only journal (`catalog/segments.log`, format in docs/storage.md).
///
/// Each journal line is `CRC32HEX SP JSON LF`. A line whose checksum does not match (a torn
/// write at a crash, or damage) is skipped and counted, never trusted. The journal is compacted
/// by writing a hidden snapshot, fsyncing it and renaming it over the journal.
///
/// `delete` lines are fsynced as they are written. `open` and `close` lines are not: the capture
/// thread that writes them must never wait in `fsync`, which on ext4 can take ~100 ms when it joins
/// the journal commit of a segment the finisher is flushing (measured: 90-200 ms of such stalls per
/// GiB ingested). ``journalSync`` makes them durable from the finisher thread instead, before each
/// segment is renamed to its final name, and ``sync()`` at shutdown (see docs/storage.md).
public final class SegmentCatalog {
    public let layout: StoreLayout
    /// Live segments by id.
    public private(set) var entries: [UInt64: SegmentInfo] = [:]
    /// Journal lines skipped because their checksum or JSON was bad.
    public private(set) var skippedLines = 0
    /// Highest id ever used (ids are never reused, even after deletion).
    public private(set) var highestID: UInt64 = 0
    private var journalLines = 0
    private var fd: Int32 = -1 {
        didSet { journalSync.set(fd) }
    }
    /// The journal's descriptor for fsyncs from another thread.
    let journalSync = JournalSync()

    private enum Op: String, Codable { case open, close, delete }
    private struct Line: Codable {
        var op: Op
        var segment: SegmentInfo?
        var id: UInt64?
        var reason: String?
    }

    /// Loads the catalog of `layout` for reading (no lock, no writes). An absent journal is an empty catalog.
    public init(readingFrom layout: StoreLayout) throws(StorageError) {
        self.layout = layout
        try load()
    }

    deinit {
        journalSync.set(-1)  // before the close: the number may be reused by the next open
        if fd >= 0 { close(fd) }
    }

    /// Opens the journal for appending; only the process holding the store lock may call this.
    func openForWriting() throws(StorageError) {
        fd = try StorageError.io { () throws(SystemError) in try FileSystem.open(layout.catalogPath, O_WRONLY | O_APPEND | O_CREAT) }
        if journalLines > 64 && journalLines > 4 * entries.count { try compact() }
    }

    /// All segments overlapping `[from, to]` (nanoseconds, nil = unbounded), oldest first.
    public func segments(from: Int64? = nil, to: Int64? = nil) -> [SegmentInfo] {
        entries.values.filter { $0.overlaps(from: from, to: to) }.sorted { $0.id < $1.id }
    }

    func recordOpen(_ s: SegmentInfo) throws(StorageError) {
        try append(Line(op: .open, segment: s))
        entries[s.id] = s
        highestID = max(highestID, s.id)
    }

    func recordClose(_ s: SegmentInfo) throws(StorageError) {
        try append(Line(op: .close, segment: s))
        entries[s.id] = s
        highestID = max(highestID, s.id)
    }

    func recordDelete(_ id: UInt64, reason: String) throws(StorageError) {
        try append(Line(op: .delete, id: id, reason: reason))
        entries[id] = nil
        if journalLines > 256 && journalLines > 4 * entries.count { try compact() }
    }

    // MARK: - Journal

    private func load() throws(StorageError) {
        guard let bytes = try StorageError.io({ () throws(SystemError) in try FileSystem.readFile(layout.catalogPath) }) else { return }
        let decoder = JSONDecoder()
        var start = 0
        while start < bytes.count {
            guard let nl = bytes[start...].firstIndex(of: 0x0A) else { break }  // torn last line: ignore
            let line = bytes[start..<nl]
            start = nl + 1
            journalLines += 1
            guard line.count > 9, line[line.startIndex + 8] == 0x20,
                  let crc = UInt32(String(decoding: line.prefix(8), as: UTF8.self), radix: 16) else {
                skippedLines += 1; continue
            }
            let json = line.dropFirst(9)
            guard CRC32.checksum(Array(json)) == crc, let l = try? decoder.decode(Line.self, from: Data(json)) else {
                skippedLines += 1; continue
            }
            apply(l)
        }
    }

    private func apply(_ l: Line) {
        switch l.op {
        case .open, .close:
            if let s = l.segment { entries[s.id] = s; highestID = max(highestID, s.id) }
        case .delete:
            if let id = l.id { entries[id] = nil; highestID = max(highestID, id) }
        }
    }

    private static func encode(_ l: Line) -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let json = (try? enc.encode(l)).map { [UInt8]($0) } ?? []
        let crc = String(CRC32.checksum(json), radix: 16)
        return Array((String(repeating: "0", count: 8 - crc.count) + crc + " ").utf8) + json + [0x0A]
    }

    private func append(_ l: Line) throws(StorageError) {
        precondition(fd >= 0, "catalog not opened for writing")
        let bytes = Self.encode(l)
        try StorageError.io { () throws(SystemError) in
            try FileSystem.writeAll(fd, bytes, path: layout.catalogPath)
            // A delete follows an unlink: made durable at once, so recovery never expects a file that is gone.
            if l.op == .delete { try FileSystem.fsync(fd, path: layout.catalogPath) }
        }
        journalLines += 1
    }

    /// Makes every line written so far durable (shutdown; the finisher uses ``journalSync``).
    func sync() throws(StorageError) {
        if fd >= 0 { try StorageError.io { () throws(SystemError) in try FileSystem.fsync(fd, path: layout.catalogPath) } }
    }

    /// Rewrites the journal as one line per live segment (plus a tombstone for the highest id,
    /// so ids are never reused) and swaps it in atomically.
    private func compact() throws(StorageError) {
        var out = [UInt8]()
        for s in entries.values.sorted(by: { $0.id < $1.id }) {
            out += Self.encode(Line(op: s.state == .writing ? .open : .close, segment: s))
        }
        if entries[highestID] == nil && highestID > 0 {
            out += Self.encode(Line(op: .delete, id: highestID, reason: "compaction"))
        }
        try StorageError.io { () throws(SystemError) in try AtomicFile.write(out, to: layout.catalogPath) }
        // The new descriptor replaces the old in `journalSync` before the old one is closed, so the
        // finisher never fsyncs a closed (or reused) number.
        let old = fd
        fd = try StorageError.io { () throws(SystemError) in try FileSystem.open(layout.catalogPath, O_WRONLY | O_APPEND | O_CREAT) }
        if old >= 0 { close(old) }
        journalLines = entries.count + 1
    }
}

/// Fsyncs the catalog journal from a thread other than the one appending to it (the finisher):
/// it keeps the journal's current descriptor and fsyncs a duplicate, so a compaction that swaps the
/// descriptor meanwhile is harmless (a compacted journal is itself written and fsynced whole).
final class JournalSync: Sendable {
    private let fd = Mutex<Int32>(-1)

    func set(_ descriptor: Int32) { fd.withLock { $0 = descriptor } }

    /// The descriptor `sync` duplicates (for tests).
    var descriptor: Int32 { fd.withLock { $0 } }

    /// Makes every line written so far durable; nil, or the failure.
    func sync(path: String) -> StorageError? {
        let copy = fd.withLock { $0 >= 0 ? dup($0) : -1 }
        guard copy >= 0 else { return nil }
        defer { close(copy) }
        do throws(SystemError) { try FileSystem.fsync(copy, path: path) } catch { return StorageError(error) }
        return nil
    }
}
