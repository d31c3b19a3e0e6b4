import SystemIO
/// Fixed layout of an index file (format version 1). All integers little-endian.
///
/// ```
/// 0   magic "VIGIEIDX"          8
/// 8   version u16 (1)           headerSize u16 (96)
/// 12  flags u32                 bit 0: nanosecond pcap, bit 1: big-endian pcap
/// 16  linkType u32              20 fieldMask u32 (IndexFieldSet raw value)
/// 24  recordCount u32           28 ordinalBase u32 (first ordinal; non-zero only in snapshot chunks)
/// 32  coveredBytes u64          end of the last indexed record in the segment file
/// 40  firstRecordOffset u64     offset of the first indexed record
/// 48  firstNanos i64            56 lastNanos i64 (min / max packet time; 0 when empty)
/// 64  fileLength u64            total size of the index file
/// 72  sectionCount u32          76 tocCRC u32 (CRC-32 of the section table)
/// 80  reserved (12 bytes)
/// 92  headerCRC u32             CRC-32 of bytes 0..<92
/// 96  section table: sectionCount × 32 bytes
///     { fieldID u16, keyWidth u16, keyCount u32, offset u64, length u64, crc u32, reserved u32 }
/// ... sections
/// ```
enum IndexFileLayout {
    static let magic: [UInt8] = Array("VIGIEIDX".utf8)
    static let version: UInt16 = 1
    static let headerSize = 96
    static let tocEntrySize = 32
    static let headerCRCOffset = 92

    static let flagNanosecond: UInt32 = 1 << 0
    static let flagByteSwapped: UInt32 = 1 << 1
}

/// One entry of the section table.
struct SectionEntry {
    var fieldID: UInt16
    var keyWidth: UInt16
    var keyCount: UInt32
    var offset: UInt64
    var length: UInt64
    var crc: UInt32
}

/// The parsed header of an index file.
struct IndexHeader {
    var flags: UInt32
    var linkType: UInt32
    var fieldMask: UInt32
    var recordCount: UInt32
    var ordinalBase: UInt32
    var coveredBytes: UInt64
    var firstRecordOffset: UInt64
    var firstNanos: Int64
    var lastNanos: Int64
    var fileLength: UInt64
    var sectionCount: UInt32
    var tocCRC: UInt32

    func encode(into w: inout ByteWriter) {
        w.append(IndexFileLayout.magic)
        w.u16(IndexFileLayout.version)
        w.u16(UInt16(IndexFileLayout.headerSize))
        w.u32(flags)
        w.u32(linkType)
        w.u32(fieldMask)
        w.u32(recordCount)
        w.u32(ordinalBase)
        w.u64(coveredBytes)
        w.u64(firstRecordOffset)
        w.i64(firstNanos)
        w.i64(lastNanos)
        w.u64(fileLength)
        w.u32(sectionCount)
        w.u32(tocCRC)
        for _ in 0..<3 { w.u32(0) }
        w.u32(0)  // header CRC, patched by the caller
    }

    /// Parses and checks the header of `image`: magic, version, header checksum, length, section
    /// table checksum.
    static func parse(_ image: UnsafeRawBufferPointer) throws(IndexError) -> (IndexHeader, [SectionEntry]) {
        guard image.count >= 8 else { throw IndexError(.truncated, detail: "\(image.count) bytes, no header") }
        for i in 0..<8 where image[i] != IndexFileLayout.magic[i] { throw IndexError(.notAnIndex, detail: "bad magic") }
        guard image.count >= IndexFileLayout.headerSize else {
            throw IndexError(.truncated, detail: "\(image.count) bytes, header needs \(IndexFileLayout.headerSize)")
        }
        let version = image.le16(at: 8)!
        guard version == IndexFileLayout.version else {
            throw IndexError(.unsupportedVersion, detail: "version \(version), this reader knows \(IndexFileLayout.version)")
        }
        let stored = image.le32(at: IndexFileLayout.headerCRCOffset)!
        let computed = CRC32.checksum(image.slice(0, IndexFileLayout.headerCRCOffset)!)
        guard stored == computed else { throw IndexError(.checksumMismatch, detail: "header") }
        let headerSize = Int(image.le16(at: 10)!)
        let h = IndexHeader(
            flags: image.le32(at: 12)!, linkType: image.le32(at: 16)!, fieldMask: image.le32(at: 20)!,
            recordCount: image.le32(at: 24)!, ordinalBase: image.le32(at: 28)!,
            coveredBytes: image.le64(at: 32)!, firstRecordOffset: image.le64(at: 40)!,
            firstNanos: Int64(bitPattern: image.le64(at: 48)!), lastNanos: Int64(bitPattern: image.le64(at: 56)!),
            fileLength: image.le64(at: 64)!, sectionCount: image.le32(at: 72)!, tocCRC: image.le32(at: 76)!)
        guard headerSize >= IndexFileLayout.headerSize else { throw IndexError.corrupt("header size \(headerSize)") }
        guard h.fileLength <= UInt64(image.count) else {
            throw IndexError(.truncated, detail: "\(image.count) bytes, header says \(h.fileLength)")
        }
        guard h.fileLength == UInt64(image.count) else {
            throw IndexError.corrupt("\(image.count) bytes, header says \(h.fileLength)")
        }
        guard h.sectionCount <= 64, UInt64(h.recordCount) + UInt64(h.ordinalBase) < UInt64(UInt32.max) else {
            throw IndexError.corrupt("implausible header counts")
        }
        guard let toc = image.slice(headerSize, Int(h.sectionCount) * IndexFileLayout.tocEntrySize) else {
            throw IndexError(.truncated, detail: "section table cut")
        }
        guard CRC32.checksum(toc) == h.tocCRC else { throw IndexError(.checksumMismatch, detail: "section table") }
        var entries: [SectionEntry] = []
        for i in 0..<Int(h.sectionCount) {
            let at = i * IndexFileLayout.tocEntrySize
            let e = SectionEntry(fieldID: toc.le16(at: at)!, keyWidth: toc.le16(at: at + 2)!, keyCount: toc.le32(at: at + 4)!,
                                 offset: toc.le64(at: at + 8)!, length: toc.le64(at: at + 16)!, crc: toc.le32(at: at + 24)!)
            guard e.offset >= UInt64(headerSize), e.length <= h.fileLength, e.offset <= h.fileLength - e.length else {
                throw IndexError.corrupt("section \(e.fieldID) outside the file")
            }
            entries.append(e)
        }
        return (h, entries)
    }
}
