/// Encoding of one posting list: the strictly ascending record ordinals of the packets that carry
/// one key. Three layouts, chosen per list by size (see docs/index-format.md):
///
/// - `small` (≤ 128 ordinals): LEB128 varints, the first absolute, then the gaps.
/// - `blocked` (> 128 ordinals): a skip table of `(first ordinal u32, data offset u32)` per block of
///   128, then each block's gaps as varints. A cursor can jump to the block holding a target with a
///   binary search, so intersecting a short list with a long one costs O(short · log), not O(long).
/// - `bitmap`: `base u32` then one bit per ordinal from `base`; wins for dense lists (≥ ~1 packet in
///   8 carries the key, e.g. "tcp" or the busiest server port).
enum PostingCodec {
    static let blockLength = 128

    enum Kind: UInt8 {
        case small = 0
        case blocked = 1
        case bitmap = 2
    }

    /// Appends the encoding of `ordinals` (non-empty, strictly ascending) to `out`.
    static func encode(_ ordinals: UnsafeBufferPointer<UInt32>, into out: inout ByteWriter) {
        encode(OrdinalRun(ordinals), into: &out)
    }

    /// Appends the encoding of a run of ordinals (non-empty, strictly ascending) to `out`.
    @inline(__always)
    static func encode<Run: OrdinalSequence>(_ ordinals: Run, into out: inout ByteWriter) {
        let n = ordinals.count
        precondition(n > 0, "empty posting list")
        let first = ordinals[0], last = ordinals[n - 1]
        let bitmapSize = 5 + Int((UInt64(last - first) + 8) / 8)
        let blocks = (n + blockLength - 1) / blockLength
        let skipTable = n <= blockLength ? 0 : 8 * blocks
        let varints = n <= blockLength ? n : n - blocks  // the first of each block sits in the skip table
        // Each varint takes 1 to 5 bytes; only a bitmap size between those bounds needs the exact size.
        let useBitmap: Bool
        if bitmapSize < 1 + skipTable + varints {
            useBitmap = true
        } else if bitmapSize >= 1 + skipTable + 5 * varints {
            useBitmap = false
        } else {
            var deltaSize = 1 + skipTable
            if n <= blockLength {
                deltaSize += ByteWriter.varintSize(first)
                for i in 1..<n { deltaSize += ByteWriter.varintSize(ordinals[i] &- ordinals[i - 1]) }
            } else {
                for i in 1..<n where i % blockLength != 0 { deltaSize += ByteWriter.varintSize(ordinals[i] &- ordinals[i - 1]) }
            }
            useBitmap = bitmapSize < deltaSize
        }
        if useBitmap {
            encodeBitmap(ordinals, into: &out)
        } else if n <= blockLength {
            out.u8(Kind.small.rawValue)
            out.varint(first)
            for i in 1..<n { out.varint(ordinals[i] &- ordinals[i - 1]) }
        } else {
            encodeBlocked(ordinals, into: &out)
        }
    }

    private static func encodeBlocked<Run: OrdinalSequence>(_ ordinals: Run, into out: inout ByteWriter) {
        let n = ordinals.count
        let blocks = (n + blockLength - 1) / blockLength
        out.u8(Kind.blocked.rawValue)
        let table = out.count
        for _ in 0..<blocks { out.u64(0) }
        let dataStart = out.count
        for b in 0..<blocks {
            let start = b * blockLength
            out.patch32(ordinals[start], at: table + 8 * b)
            out.patch32(UInt32(out.count - dataStart), at: table + 8 * b + 4)
            for i in (start + 1)..<min(n, start + blockLength) { out.varint(ordinals[i] &- ordinals[i - 1]) }
        }
    }

    private static func encodeBitmap<Run: OrdinalSequence>(_ ordinals: Run, into out: inout ByteWriter) {
        let first = ordinals[0]
        let byteCount = Int((UInt64(ordinals[ordinals.count - 1] - first) + 8) / 8)
        out.u8(Kind.bitmap.rawValue)
        out.u32(first)
        let bits = out.appendZeros(byteCount)
        for k in 0..<ordinals.count {
            let i = Int(ordinals[k] &- first)
            bits[i >> 3] |= 1 << UInt8(i & 7)
        }
    }
}

/// Random access to a run of ascending ordinals, whatever holds them.
protocol OrdinalSequence {
    var count: Int { get }
    subscript(_ i: Int) -> UInt32 { get }
}

/// Plain ordinals.
struct OrdinalRun: OrdinalSequence {
    let values: UnsafeBufferPointer<UInt32>
    init(_ values: UnsafeBufferPointer<UInt32>) { self.values = values }
    var count: Int { values.count }
    @inline(__always) subscript(_ i: Int) -> UInt32 { values[i] }
}

/// The low halves of `key << 32 | ordinal` values (a run of one key in a sorted packed field).
struct PackedOrdinalRun: OrdinalSequence {
    let values: UnsafeBufferPointer<UInt64>
    var count: Int { values.count }
    @inline(__always) subscript(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: values[i]) }
}

/// One posting list inside an index image, with the bounds every ordinal must respect.
struct PostingList {
    /// Exactly the list's bytes.
    let bytes: UnsafeRawBufferPointer
    /// Number of ordinals (from the key directory).
    let count: Int
    /// Ordinals must lie in `floor ..< limit` (the records the index covers).
    let floor: UInt32
    let limit: UInt32

    /// Appends every ordinal to `out`, validating order, bounds and count.
    func decode(into out: inout [UInt32]) throws(IndexError) {
        var cursor = try PostingCursor(self)
        out.reserveCapacity(out.count + count)
        if cursor.kind == .bitmap {
            let before = out.count
            try cursor.appendAllBits(into: &out)
            guard out.count - before == count else { throw .corrupt("bitmap holds \(out.count - before) ordinals, directory says \(count)") }
            return
        }
        var produced = 0
        var target: UInt32 = 0
        while let v = try cursor.next(atLeast: target) {
            out.append(v)
            produced += 1
            if v == UInt32.max { break }
            target = v + 1
        }
        guard produced == count else { throw .corrupt("posting list holds \(produced) ordinals, directory says \(count)") }
    }
}

/// A forward-only cursor over a ``PostingList``: `next(atLeast:)` with non-decreasing targets
/// answers "first ordinal ≥ target", skipping whole blocks (blocked lists) or reading one bit
/// (bitmaps). Every value read is checked against the list's bounds.
struct PostingCursor {
    let kind: PostingCodec.Kind
    private let list: PostingList
    private let body: UnsafeRawBufferPointer
    // Delta layouts.
    private var blockCount = 0
    private var blockIndex = 0
    private var leftInBlock = 0
    private var position = 0
    private var dataStart = 0
    private var current: UInt32 = 0
    private var exhausted = false
    // Bitmap layout.
    private var base: UInt32 = 0
    private var bitCount = 0

    init(_ list: PostingList) throws(IndexError) {
        self.list = list
        guard list.count > 0, let tag = list.bytes.first, let kind = PostingCodec.Kind(rawValue: tag) else {
            throw .corrupt("bad posting list header")
        }
        self.kind = kind
        body = list.bytes.slice(1, list.bytes.count - 1)!
        switch kind {
        case .small:
            guard list.count <= PostingCodec.blockLength, let first = body.varint(at: &position) else {
                throw .corrupt("bad small posting list")
            }
            blockCount = 1
            leftInBlock = list.count - 1
            try set(first)
        case .blocked:
            blockCount = (list.count + PostingCodec.blockLength - 1) / PostingCodec.blockLength
            dataStart = 8 * blockCount
            guard list.count > PostingCodec.blockLength, dataStart <= body.count else { throw .corrupt("bad blocked posting list") }
            try load(block: 0)
        case .bitmap:
            guard let b = body.le32(at: 0) else { throw .corrupt("bad bitmap posting list") }
            base = b
            bitCount = (body.count - 4) * 8
            exhausted = false
        }
    }

    @inline(__always)
    private mutating func set(_ value: UInt32) throws(IndexError) {
        guard value >= list.floor, value < list.limit else {
            throw .corrupt("ordinal \(value) outside \(list.floor)..<\(list.limit)")
        }
        current = value
    }

    private func blockFirst(_ b: Int) -> UInt32? { body.le32(at: 8 * b) }

    private mutating func load(block b: Int) throws(IndexError) {
        guard let first = blockFirst(b), let offset = body.le32(at: 8 * b + 4) else { throw .corrupt("posting skip table cut") }
        blockIndex = b
        position = dataStart + Int(offset)
        guard position <= body.count else { throw .corrupt("posting block offset out of range") }
        leftInBlock = min(PostingCodec.blockLength, list.count - b * PostingCodec.blockLength) - 1
        try set(first)
    }

    /// The smallest ordinal ≥ `target`, or nil when the list has none. Targets must not decrease.
    mutating func next(atLeast target: UInt32) throws(IndexError) -> UInt32? {
        if kind == .bitmap { return try nextBit(atLeast: target) }
        if exhausted { return nil }
        if current >= target { return current }
        if kind == .blocked && blockIndex + 1 < blockCount {
            // Last block whose first ordinal is ≤ target; blocks before it cannot hold the answer.
            var lo = blockIndex + 1, hi = blockCount - 1, found = -1
            while lo <= hi {
                let mid = (lo + hi) / 2
                guard let f = blockFirst(mid) else { throw .corrupt("posting skip table cut") }
                if f <= target { found = mid; lo = mid + 1 } else { hi = mid - 1 }
            }
            if found > 0 {
                try load(block: found)
                if current >= target { return current }
            }
        }
        while true {
            while leftInBlock > 0 {
                guard position < body.count, let gap = body.varint(at: &position), gap > 0 else {
                    throw .corrupt("bad posting gap")
                }
                let (value, overflow) = current.addingReportingOverflow(gap)
                guard !overflow else { throw .corrupt("posting ordinal overflow") }
                try set(value)
                leftInBlock -= 1
                if current >= target { return current }
            }
            guard blockIndex + 1 < blockCount else {
                exhausted = true
                return nil
            }
            let previous = current
            try load(block: blockIndex + 1)
            guard current > previous else { throw .corrupt("posting blocks out of order") }
            if current >= target { return current }
        }
    }

    private mutating func nextBit(atLeast target: UInt32) throws(IndexError) -> UInt32? {
        let start = target <= base ? 0 : Int(target - base)
        guard start < bitCount, let bits = body.slice(4, body.count - 4) else { return nil }
        var i = start
        // Finish the current byte, then skip whole 64-bit words of zeros.
        while i < bitCount {
            if i & 63 == 0 && i + 64 <= bitCount {
                let word = bits.loadUnaligned(fromByteOffset: i >> 3, as: UInt64.self)
                if word == 0 { i += 64; continue }
                i += UInt64(littleEndian: word).trailingZeroBitCount
                break
            }
            if bits[i >> 3] & (1 << UInt8(i & 7)) != 0 { break }
            i += 1
        }
        guard i < bitCount else { return nil }
        let value = base &+ UInt32(i)
        guard value >= list.floor, value < list.limit, UInt64(base) + UInt64(i) <= UInt64(UInt32.max) else {
            throw .corrupt("bitmap ordinal outside the index")
        }
        return value
    }

    /// Bitmap fast path for full decoding.
    mutating func appendAllBits(into out: inout [UInt32]) throws(IndexError) {
        guard let bits = body.slice(4, body.count - 4) else { return }
        for byteIndex in 0..<bits.count {
            var b = bits[byteIndex]
            while b != 0 {
                let bit = b.trailingZeroBitCount
                b &= b - 1
                let offset = UInt64(byteIndex) * 8 + UInt64(bit)
                let value = UInt64(base) + offset
                guard value >= UInt64(list.floor), value < UInt64(list.limit) else {
                    throw .corrupt("bitmap ordinal outside the index")
                }
                out.append(UInt32(value))
            }
        }
    }
}
