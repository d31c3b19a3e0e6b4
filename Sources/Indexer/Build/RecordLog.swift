/// The records section of a segment's index, encoded as packets are added: per block of
/// ``RecordTableFormat/blockLength`` records one entry (first offset, min/max time, where its gaps
/// start), and per other record one varint gap. That is exactly the section's layout, so sealing
/// copies it instead of deriving it from per-packet offsets and times.
///
/// Why not keep offset and time in each ``PacketRow``: they were 16 of its 32 bytes, and the rows
/// of a 256 MB segment are the bulk of the memory indexing touches. Fresh memory is what costs most
/// on a virtual machine whose host reclaims freed pages (`vigie-bench index-build` and the ingest
/// benchmark in Benchmarks/RESULTS.md measure it); the log takes about 2.5 bytes a packet.
final class RecordLog {
    /// One block entry, laid out as in the file (32 bytes, little-endian fields).
    struct Block: BitwiseCopyable {
        var firstOffset: UInt64
        var minNanos: Int64
        var maxNanos: Int64
        var dataOffset: UInt32
        var reserved: UInt32 = 0
    }

    let blocks: FlatBuffer<Block>
    /// The varint gaps of every block, back to back.
    let gaps: FlatBuffer<UInt8>
    private(set) var count = 0
    private var lastOffset: UInt64 = 0

    init(expectedRecords: Int) {
        blocks = FlatBuffer(capacity: expectedRecords / RecordTableFormat.blockLength + 16)
        gaps = FlatBuffer(capacity: 2 * expectedRecords + 64)
    }

    @inline(__always)
    func append(offset: UInt64, time: Int64) {
        if count % RecordTableFormat.blockLength == 0 {
            blocks.append(Block(firstOffset: offset, minNanos: time, maxNanos: time, dataOffset: UInt32(truncatingIfNeeded: gaps.count)))
        } else {
            let last = blocks.base + (blocks.count - 1)
            if time < last.pointee.minNanos { last.pointee.minNanos = time }
            if time > last.pointee.maxNanos { last.pointee.maxNanos = time }
            // A record is at most 16 + 2^32-1 bytes (a pcap caplen is 32 bits).
            gaps.appendVarint(UInt32(clamping: offset &- lastOffset))
        }
        lastOffset = offset
        count &+= 1
    }

    func removeAll() {
        blocks.removeAll()
        gaps.removeAll()
        count = 0
        lastOffset = 0
    }

    func swapStorage(with other: RecordLog) {
        blocks.swapStorage(with: other.blocks)
        gaps.swapStorage(with: other.gaps)
        let (c, l) = (count, lastOffset)
        count = other.count
        lastOffset = other.lastOffset
        other.count = c
        other.lastOffset = l
    }

    /// Min and max packet time of records `range` (exact when it covers whole blocks and the last
    /// partial one; a range starting inside a block gets that block's bounds, a superset).
    func timeBounds(_ range: Range<Int>) -> (Int64, Int64) {
        guard !range.isEmpty else { return (0, 0) }
        var lo = Int64.max, hi = Int64.min
        let b = blocks.base
        for k in (range.lowerBound / RecordTableFormat.blockLength)...((range.upperBound - 1) / RecordTableFormat.blockLength) {
            lo = min(lo, b[k].minNanos)
            hi = max(hi, b[k].maxNanos)
        }
        return (lo, hi)
    }

    /// Calls `body(ordinal, offset)` for every record of `range`, decoding the gaps from the block
    /// that holds the first one.
    func forEachOffset(_ range: Range<Int>, _ body: (Int, UInt64) -> Void) {
        guard !range.isEmpty else { return }
        let length = RecordTableFormat.blockLength
        var block = range.lowerBound / length
        var ordinal = block * length
        var offset = blocks[block].firstOffset
        var at = Int(blocks[block].dataOffset)
        let g = UnsafeRawBufferPointer(start: gaps.base, count: gaps.count)
        while ordinal < range.upperBound {
            if ordinal >= range.lowerBound { body(ordinal, offset) }
            ordinal += 1
            if ordinal % length == 0 {
                block += 1
                guard block < blocks.count else { return }
                offset = blocks[block].firstOffset
                at = Int(blocks[block].dataOffset)
            } else if ordinal < count {
                // The log's own varints: always well formed (the reader's checks cost nothing here).
                offset &+= UInt64(g.varint(at: &at) ?? 0)
            }
        }
    }

    /// Offset of record `i` (decodes its block up to it; for the odd header field, not loops).
    func offset(of i: Int) -> UInt64 {
        var result: UInt64 = 0
        forEachOffset(i..<(i + 1)) { _, offset in result = offset }
        return result
    }
}

extension FlatBuffer where Element == UInt8 {
    /// Appends `v` as an unsigned LEB128 varint (one capacity check for up to 5 bytes).
    @inline(__always)
    func appendVarint(_ v: UInt32) {
        if v < 0x80 {
            append(UInt8(truncatingIfNeeded: v))
            return
        }
        var v = v
        while v >= 0x80 {
            append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        append(UInt8(truncatingIfNeeded: v))
    }
}
