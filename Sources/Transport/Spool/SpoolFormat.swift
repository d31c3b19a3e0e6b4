import Records
import SystemIO

/// The spool's on-disk format (docs/export.md has the full description).
///
/// A spool segment is `spool/NNNNNNNNNNNNNNNNNNNN.spool` (its first sequence number, 20 digits):
/// a 16-byte header (`VGSPOOL1`, first sequence number as u64 LE) and then records, each:
///
/// ```
/// u32 magic 0x52504756 ("VGPR")   u32 body length   u32 CRC-32 of the body
/// body: u64 seq | u8 kind | u8 flags | u16 key length | key bytes | payload bytes
/// ```
///
/// The magic lets a reader resynchronise after a damaged record (it is skipped and counted);
/// the CRC catches torn and corrupted records. All integers little-endian.
enum SpoolFormat {
    static let fileMagic: [UInt8] = Array("VGSPOOL1".utf8)
    static let fileHeaderSize = 16
    static let recordMagic: UInt32 = 0x5250_4756
    static let recordHeaderSize = 12
    static let bodyFixedSize = 12
    /// Largest body accepted when reading (a bigger length is corruption).
    static let maxBody = 16 << 20

    static func fileName(firstSeq: UInt64) -> String {
        let digits = String(firstSeq)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".spool"
    }

    /// The first sequence number encoded in a segment file name, or nil for other names.
    static func firstSeq(fileName: String) -> UInt64? {
        guard fileName.hasSuffix(".spool"), fileName.count == 26 else { return nil }
        return UInt64(fileName.prefix(20))
    }

    static func fileHeader(firstSeq: UInt64) -> [UInt8] {
        var out = fileMagic
        appendLE(&out, firstSeq)
        return out
    }

    /// Appends one framed record to `out`.
    static func appendRecord(to out: inout [UInt8], seq: UInt64, kind: RecordKind, key: UnsafeRawBufferPointer,
                             payload: UnsafeRawBufferPointer) {
        let bodyLength = bodyFixedSize + key.count + payload.count
        let start = out.count
        appendLE(&out, recordMagic)
        appendLE(&out, UInt32(bodyLength))
        appendLE(&out, UInt32(0))  // CRC, patched below
        let bodyStart = out.count
        appendLE(&out, seq)
        out.append(kind.spoolCode)
        out.append(0)
        appendLE(&out, UInt16(key.count))
        out.append(contentsOf: key)
        out.append(contentsOf: payload)
        let crc = out.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[bodyStart...])) }
        out.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: start + 8, as: UInt32.self) }
    }

    static func appendLE<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    static func loadLE<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, _ offset: Int, as: T.Type) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// A record found in a buffer: its numbers, and where its key and payload lie in that buffer
    /// (nothing copied: a sink hands them straight to its client).
    struct RecordView {
        var seq: UInt64
        var kind: RecordKind
        var key: Range<Int>
        var payload: Range<Int>
    }

    /// What `parse` found at an offset.
    enum Parsed {
        /// A whole, valid record and its total framed length.
        case record(RecordView, length: Int)
        /// Not enough bytes for a whole record (a tail still being written, or torn by a crash).
        case incomplete
        /// Not a valid record here (bad magic, absurd length or CRC mismatch).
        case damaged
    }

    /// Parses the record at `offset` of `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Parsed {
        let available = bytes.count - offset
        guard available >= recordHeaderSize else { return .incomplete }
        guard loadLE(bytes, offset, as: UInt32.self) == recordMagic else { return .damaged }
        let bodyLength = Int(loadLE(bytes, offset + 4, as: UInt32.self))
        guard bodyLength >= bodyFixedSize, bodyLength <= maxBody else { return .damaged }
        guard available >= recordHeaderSize + bodyLength else { return .incomplete }
        let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + recordHeaderSize)..<(offset + recordHeaderSize + bodyLength)])
        guard CRC32.checksum(body) == loadLE(bytes, offset + 8, as: UInt32.self) else { return .damaged }
        let keyLength = Int(loadLE(body, 10, as: UInt16.self))
        guard let kind = RecordKind(spoolCode: body[8]), bodyFixedSize + keyLength <= bodyLength else { return .damaged }
        let keyStart = offset + recordHeaderSize + bodyFixedSize
        let end = offset + recordHeaderSize + bodyLength
        let record = RecordView(seq: loadLE(body, 0, as: UInt64.self), kind: kind,
                                key: keyStart..<(keyStart + keyLength), payload: (keyStart + keyLength)..<end)
        return .record(record, length: recordHeaderSize + bodyLength)
    }

    /// The spool sequence number of the (well-formed, self-written) record at `offset` of a batch.
    static func seqOfRecord(_ batch: [UInt8], at offset: Int) -> UInt64 {
        batch.withUnsafeBytes { loadLE($0, offset + recordHeaderSize, as: UInt64.self) }
    }

    /// The end of the longest run of whole records from `offset` that fits in `room` bytes (at
    /// least one record, so an oversized record still goes out).
    static func chunkEnd(_ batch: [UInt8], from offset: Int, room: Int) -> Int {
        batch.withUnsafeBytes { raw in
            var end = offset
            while end < raw.count {
                let length = recordHeaderSize + Int(loadLE(raw, end + 4, as: UInt32.self))
                if end > offset && end - offset + length > room { break }
                end += length
            }
            return end
        }
    }

    /// The offset of the next record magic at or after `offset`, or nil.
    static func resync(_ bytes: UnsafeRawBufferPointer, from offset: Int) -> Int? {
        var i = offset
        while i + 4 <= bytes.count {
            if loadLE(bytes, i, as: UInt32.self) == recordMagic { return i }
            i += 1
        }
        return nil
    }
}

/// One record read back from the spool.
public struct SpoolRecord: Sendable, Hashable {
    /// The spool's own sequence number (not the record's `seq`): the delivery position.
    public var seq: UInt64
    public var kind: RecordKind
    /// The message key (the service id for Kafka).
    public var key: [UInt8]
    /// The encoded record (one JSON object, no trailing newline).
    public var payload: [UInt8]

    public init(seq: UInt64, kind: RecordKind, key: [UInt8], payload: [UInt8]) {
        self.seq = seq
        self.kind = kind
        self.key = key
        self.payload = payload
    }
}
