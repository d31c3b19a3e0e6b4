import Foundation
import Indexer
#if canImport(Glibc)
import Glibc
#endif

/// The segment catalog: every segment's time range, counts and state, kept in a crash-safe
/// append-only journal (`catalog/segments.log`, format in docs/storage.md).
///
/// Each journal line is `CRC32HEX SP JSON LF`. A line whose checksum does not match (a torn
/// write at a crash, or damage) is skipped and counted, never trusted. The journal is compacted
/// by writing a hidden snapshot, fsyncing it and renaming it over the journal.
public final class SegmentCatalog {
    public let layout: StoreLayout
    /// Live segments by id.
    public private(set) var entries: [UInt64: SegmentInfo] = [:]
    /// Journal lines skipped because their checksum or JSON was bad.
    public private(set) var skippedLines = 0
    /// Highest id ever used (ids are never reused, even after deletion).
    public private(set) var highestID: UInt64 = 0
    private var journalLines = 0
    private var fd: Int32 = -1

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

    deinit { if fd >= 0 { close(fd) } }

    /// Opens the journal for appending; only the process holding the store lock may call this.
    func openForWriting() throws(StorageError) {
        fd = try FileIO.open(layout.catalogPath, O_WRONLY | O_APPEND | O_CREAT)
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
        guard let bytes = try FileIO.readFile(layout.catalogPath) else { return }
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
        try FileIO.writeAll(fd, bytes, path: layout.catalogPath)
        try FileIO.fsync(fd, path: layout.catalogPath)
        journalLines += 1
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
        try FileIO.writeAtomically(out, to: layout.catalogPath)
        if fd >= 0 { close(fd) }
        fd = try FileIO.open(layout.catalogPath, O_WRONLY | O_APPEND | O_CREAT)
        journalLines = entries.count + 1
    }
}
