import SystemIO
/// A read-only index of one segment (or of one chunk of the segment being written), backed by a
/// memory-mapped file or by bytes in memory.
///
/// Opening checks the magic, the version, the header checksum, the file length (a truncated file
/// is refused) and the section-table checksum, and — the first time this process opens that file
/// (same device, inode, size and mtime) — every section's CRC-32. Files the process wrote itself
/// count as checked. So each index is checked in full once, and later queries pay only for what
/// they read. Queries also check the bounds and ordering of every structure they touch, so a
/// corrupt index gives an ``IndexError`` (and the query engine scans the segment instead), never a
/// crash. ``verify()`` additionally decodes every posting list.
public final class SegmentIndex: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init, and `storage` is never written.

    /// The segment's `LINKTYPE_*`.
    public let linkType: UInt32
    /// The fields this index holds.
    public let fields: IndexFieldSet
    /// Packets indexed.
    public let recordCount: Int
    /// Ordinal of the first packet indexed (0 except in snapshot chunks).
    public let ordinalBase: UInt32
    /// Offset in the segment file just past the last indexed record.
    public let coveredBytes: UInt64
    /// Offset of the first indexed record.
    public let firstRecordOffset: UInt64
    /// Earliest packet time (nil when the index is empty).
    public let firstNanos: Int64?
    /// Latest packet time (nil when the index is empty).
    public let lastNanos: Int64?
    /// The segment's timestamps are nanosecond.
    public let nanosecond: Bool
    /// Size of the index in bytes.
    public var byteCount: Int { storage.bytes.count }

    let storage: IndexStorage
    let records: RecordTable
    private let sections: [SectionEntry]
    private let fieldSections: [FieldSection?]
    private let nameSections: [NameSection?]

    /// How much of an index file `open` checksums.
    public enum ChecksumPolicy: Sendable {
        /// Every section, unless this process already checked (or wrote) this very file.
        case oncePerFile
        /// Every section, every time.
        case always
        /// Only the header and the section table (each section is still bounds-checked on use).
        case headerOnly
    }

    /// Maps and opens the index file at `path`.
    public static func open(path: String, checksums: ChecksumPolicy = .oncePerFile) throws(IndexError) -> SegmentIndex {
        do {
            let storage = try IndexStorage(path: path)
            let known = storage.identity.map { VerifiedIndexFiles.shared.contains($0) } ?? false
            let verify = checksums == .always || (checksums == .oncePerFile && !known)
            // Checksums are checked before any section is parsed, so damage reads as such.
            let index = try SegmentIndex(storage: storage, verifyChecksums: verify)
            if verify, let id = storage.identity { VerifiedIndexFiles.shared.insert(id) }
            return index
        } catch {
            throw error.at(path)
        }
    }

    /// Deletes the index file at `path` (its segment is gone). Best effort: an index that is
    /// missing or cannot be removed only costs disk space; a query never trusts an index whose
    /// segment is not in the catalog.
    public static func remove(at path: String) {
        try? FileSystem.remove(path)
    }

    /// Opens an index image held in memory (as produced by ``SegmentIndexBuilder/serialize()``).
    public convenience init(image: [UInt8]) throws(IndexError) {
        try self.init(storage: IndexStorage(copying: image), verifyChecksums: false)
    }

    init(storage: IndexStorage, verifyChecksums: Bool) throws(IndexError) {
        self.storage = storage
        let image = storage.bytes
        let (h, entries) = try IndexHeader.parse(image)
        if verifyChecksums { try Self.verifyChecksums(image, entries) }
        linkType = h.linkType
        fields = IndexFieldSet(rawValue: h.fieldMask)
        recordCount = Int(h.recordCount)
        ordinalBase = h.ordinalBase
        coveredBytes = h.coveredBytes
        firstRecordOffset = h.firstRecordOffset
        firstNanos = h.recordCount > 0 ? h.firstNanos : nil
        lastNanos = h.recordCount > 0 ? h.lastNanos : nil
        nanosecond = h.flags & IndexFileLayout.flagNanosecond != 0
        sections = entries
        let limit = h.ordinalBase + h.recordCount
        var fieldSections = [FieldSection?](repeating: nil, count: FieldID.allCases.count)
        var nameSections = [NameSection?](repeating: nil, count: FieldID.allCases.count)
        var records: RecordTable?
        for e in entries {
            guard let id = FieldID(rawValue: e.fieldID) else { continue }  // a newer optional section
            let bytes = image.slice(Int(e.offset), Int(e.length))!
            switch id {
            case .records:
                records = try RecordTable(section: bytes, base: h.ordinalBase, expectedCount: Int(h.recordCount))
            case .dnsQueryName, .httpHost, .tlsServerName:
                nameSections[Int(id.rawValue)] = try NameSection(field: id, bytes: bytes)
            default:
                guard Int(e.keyWidth) == id.keyWidth else { throw .corrupt("field \(id) has key width \(e.keyWidth)") }
                fieldSections[Int(id.rawValue)] = try FieldSection(field: id, keyCount: Int(e.keyCount), bytes: bytes,
                                                                   floor: h.ordinalBase, limit: limit)
            }
        }
        guard let records else { throw .corrupt("no records section") }
        self.records = records
        self.fieldSections = fieldSections
        self.nameSections = nameSections
    }

    /// The posting field `id`, or nil when this index does not hold it.
    func field(_ id: FieldID) -> FieldSection? { fieldSections[Int(id.rawValue)] }

    /// The name section `id`, or nil when this index does not hold it.
    func names(_ id: FieldID) -> NameSection? { nameSections[Int(id.rawValue)] }

    /// Ordinals `ordinalBase ..< ordinalBase + recordCount`.
    var ordinalRange: Range<UInt32> { ordinalBase..<(ordinalBase + UInt32(recordCount)) }

    /// Checks every section's CRC-32.
    static func verifyChecksums(_ image: UnsafeRawBufferPointer, _ sections: [SectionEntry]) throws(IndexError) {
        for e in sections {
            let bytes = image.slice(Int(e.offset), Int(e.length))!
            guard CRC32.checksum(bytes) == e.crc else {
                throw IndexError(.checksumMismatch, detail: "section \(FieldID(rawValue: e.fieldID).map { "\($0)" } ?? "\(e.fieldID)")")
            }
        }
    }

    /// Checks every section's CRC and every structure (key order, posting lists, record table).
    public func verify() throws(IndexError) {
        try Self.verifyChecksums(storage.bytes, sections)
        for section in fieldSections { try section?.verify() }
        for section in nameSections { try section?.verify() }
        var offsets: [UInt64] = []
        var previous: UInt64?
        for b in 0..<records.blockCount {
            try records.offsets(ofBlock: b, into: &offsets)
            for o in offsets {
                if let previous, o <= previous { throw .corrupt("record offsets out of order") }
                previous = o
            }
        }
        if let previous, previous >= coveredBytes { throw .corrupt("last record starts past the covered bytes") }
    }
}

/// The index of the segment still being written, as a list of chunks (each an immutable
/// ``SegmentIndex`` over a consecutive range of ordinals). Produced by
/// ``SegmentIndexBuilder/snapshot()``; immutable and `Sendable`.
public struct SegmentIndexSnapshot: Sendable {
    let chunks: [SegmentIndex]

    /// Packets covered by the snapshot.
    public var recordCount: Int { chunks.reduce(0) { $0 + $1.recordCount } }
    /// Offset just past the last record covered.
    public var coveredBytes: UInt64 { chunks.last?.coveredBytes ?? 0 }
    /// Earliest packet time covered.
    public var firstNanos: Int64? { chunks.compactMap(\.firstNanos).min() }
    /// Latest packet time covered.
    public var lastNanos: Int64? { chunks.compactMap(\.lastNanos).max() }
}

/// File naming of index files, matching the store's segment naming.
public enum SegmentIndexFiles {
    /// `NNNNNNNNNNNN.idx` (12 digits, like segment files).
    public static func fileName(segmentID: UInt64) -> String {
        let digits = String(segmentID)
        return String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".idx"
    }

    /// The hidden temporary an index is written to before it is renamed into place.
    public static func temporaryFileName(segmentID: UInt64) -> String { "." + fileName(segmentID: segmentID) + ".tmp" }
}
