/// Walks the records of a classic pcap image held in memory, checking every length.
///
/// Used to recover a partial segment after a crash (find the last whole record), to read
/// segments for queries, and by tests. It never reads outside `bytes`.
public struct PcapRecordScanner {
    public let header: PcapFileHeader
    public let bytes: UnsafeRawBufferPointer
    /// Offset of the next record header.
    public private(set) var offset: Int
    /// Largest captured length accepted for a record: anything bigger is corruption.
    public let maxCapturedLength: UInt32

    /// A record found by the scanner: its header and the offset of its header in the file.
    public struct Record {
        public var header: PcapRecordHeader
        public var offset: Int
        /// The captured bytes.
        public var data: UnsafeRawBufferPointer
        /// Offset just after this record.
        public var end: Int { offset + PcapRecordHeader.size + data.count }
    }

    public init(bytes: UnsafeRawBufferPointer) throws(PcapFormatError) {
        self.header = try PcapFileHeader.parse(bytes)
        self.bytes = bytes
        self.offset = PcapFileHeader.size
        // libpcap refuses records above 256 KiB (or the snaplen if larger); so do we.
        self.maxCapturedLength = max(header.snaplen, 262_144)
    }

    /// Returns the next record, nil at a clean end of data, or throws at a cut or corrupt record.
    public mutating func next() throws(PcapFormatError) -> Record? {
        let remaining = bytes.count - offset
        if remaining == 0 { return nil }
        guard remaining >= PcapRecordHeader.size else {
            throw PcapFormatError(.truncatedRecordHeader, offset: offset, detail: "\(remaining) bytes left")
        }
        let h = PcapRecordHeader.load(from: bytes, at: offset, byteSwapped: header.byteSwapped)
        guard h.capturedLength <= maxCapturedLength else {
            throw PcapFormatError(.absurdRecordLength, offset: offset, detail: "captured length \(h.capturedLength)")
        }
        let dataStart = offset + PcapRecordHeader.size
        let len = Int(h.capturedLength)
        guard bytes.count - dataStart >= len else {
            throw PcapFormatError(.truncatedRecordData, offset: offset,
                                  detail: "needs \(len) bytes, \(bytes.count - dataStart) left")
        }
        let rec = Record(header: h, offset: offset, data: UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart + len)]))
        offset = dataStart + len
        return rec
    }
}
