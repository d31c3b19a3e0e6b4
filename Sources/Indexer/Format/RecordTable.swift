/// The records section: for every ordinal (the packet's position in the segment) the byte offset of
/// its pcap record, in blocks of 64 records carrying the block's min/max packet time.
///
/// ```
/// u32 recordCount, u32 blockCount
/// blockCount × { u64 firstOffset, i64 minNanos, i64 maxNanos, u32 dataOffset, u32 reserved }
/// varints: per block, the offset gaps of its records 2...64 (= the previous record's size)
/// ```
///
/// The time bounds let a query skip blocks outside its time range without reading the pcap.
enum RecordTableFormat {
    static let blockLength = 64
    static let blockEntrySize = 32
    static let headerSize = 8
}

/// A block of the record table as stored.
struct RecordBlock {
    var firstOffset: UInt64
    var minNanos: Int64
    var maxNanos: Int64
    var dataOffset: UInt32
}

/// Read access to a records section.
struct RecordTable {
    private let section: UnsafeRawBufferPointer
    /// Ordinal of the first record (non-zero for snapshot chunks).
    let base: UInt32
    let count: Int
    let blockCount: Int
    private let data: UnsafeRawBufferPointer

    init(section: UnsafeRawBufferPointer, base: UInt32, expectedCount: Int) throws(IndexError) {
        guard let count = section.le32(at: 0), let blocks = section.le32(at: 4) else { throw .corrupt("records section cut") }
        guard Int(count) == expectedCount else { throw .corrupt("records section holds \(count) records, header says \(expectedCount)") }
        let expectedBlocks = (Int(count) + RecordTableFormat.blockLength - 1) / RecordTableFormat.blockLength
        guard Int(blocks) == expectedBlocks else { throw .corrupt("records section has \(blocks) blocks, expected \(expectedBlocks)") }
        let tableEnd = RecordTableFormat.headerSize + Int(blocks) * RecordTableFormat.blockEntrySize
        guard let data = section.slice(tableEnd, section.count - tableEnd) else { throw .corrupt("records block table cut") }
        self.section = section
        self.base = base
        self.count = Int(count)
        self.blockCount = Int(blocks)
        self.data = data
    }

    func block(_ b: Int) throws(IndexError) -> RecordBlock {
        let at = RecordTableFormat.headerSize + b * RecordTableFormat.blockEntrySize
        guard b >= 0, b < blockCount, let first = section.le64(at: at), let lo = section.le64(at: at + 8),
              let hi = section.le64(at: at + 16), let off = section.le32(at: at + 24) else {
            throw .corrupt("record block \(b) out of range")
        }
        return RecordBlock(firstOffset: first, minNanos: Int64(bitPattern: lo), maxNanos: Int64(bitPattern: hi), dataOffset: off)
    }

    /// Number of records in block `b`.
    func length(ofBlock b: Int) -> Int { min(RecordTableFormat.blockLength, count - b * RecordTableFormat.blockLength) }

    /// Decodes the record offsets of block `b` into `out` (cleared first).
    func offsets(ofBlock b: Int, into out: inout [UInt64]) throws(IndexError) {
        let blk = try block(b)
        out.removeAll(keepingCapacity: true)
        out.append(blk.firstOffset)
        var position = Int(blk.dataOffset)
        var offset = blk.firstOffset
        for _ in 1..<length(ofBlock: b) {
            guard let gap = data.varint(at: &position), gap >= 16 else { throw .corrupt("bad record gap in block \(b)") }
            let (next, overflow) = offset.addingReportingOverflow(UInt64(gap))
            guard !overflow else { throw .corrupt("record offset overflow in block \(b)") }
            offset = next
            out.append(offset)
        }
    }
}

/// Sequential ordinal -> offset lookups over a ``RecordTable``: decodes each block once.
struct RecordCursor {
    let table: RecordTable
    private var cachedBlock = -1
    private var offsets: [UInt64] = []
    private(set) var currentBlock = RecordBlock(firstOffset: 0, minNanos: 0, maxNanos: 0, dataOffset: 0)

    init(_ table: RecordTable) {
        self.table = table
        offsets.reserveCapacity(RecordTableFormat.blockLength)
    }

    /// Block number of `ordinal` (which must be inside the table).
    @inline(__always)
    func blockNumber(of ordinal: UInt32) -> Int { Int(ordinal - table.base) / RecordTableFormat.blockLength }

    /// Loads block `b` (min/max time in ``currentBlock``) without decoding offsets yet.
    mutating func time(ofBlock b: Int) throws(IndexError) -> RecordBlock {
        if b != cachedBlock {
            currentBlock = try table.block(b)
            cachedBlock = b
            offsets.removeAll(keepingCapacity: true)
        }
        return currentBlock
    }

    /// The record offset of `ordinal`.
    mutating func offset(of ordinal: UInt32) throws(IndexError) -> UInt64 {
        guard ordinal >= table.base, Int(ordinal - table.base) < table.count else {
            throw .corrupt("ordinal \(ordinal) outside the record table")
        }
        let b = blockNumber(of: ordinal)
        _ = try time(ofBlock: b)
        if offsets.isEmpty { try table.offsets(ofBlock: b, into: &offsets) }
        return offsets[Int(ordinal - table.base) % RecordTableFormat.blockLength]
    }
}
