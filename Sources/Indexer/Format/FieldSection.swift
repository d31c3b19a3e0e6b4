/// Read access to one posting field of an index: sorted fixed-width keys, their directory entries,
/// and the posting lists. Lookups are binary searches over the mapped keys.
struct FieldSection {
    let field: FieldID
    let keyWidth: Int
    let keyCount: Int
    private let keys: UnsafeRawBufferPointer
    private let entries: UnsafeRawBufferPointer
    private let postings: UnsafeRawBufferPointer
    /// Bounds of every ordinal in this index.
    let floor: UInt32
    let limit: UInt32

    static let entrySize = 12

    init(field: FieldID, keyCount: Int, bytes: UnsafeRawBufferPointer, floor: UInt32, limit: UInt32) throws(IndexError) {
        self.field = field
        self.keyWidth = field.keyWidth
        self.keyCount = keyCount
        self.floor = floor
        self.limit = limit
        let keysLength = keyCount * keyWidth
        let entriesStart = (keysLength + 3) & ~3
        guard keyCount >= 0, keyCount <= bytes.count,
              let keys = bytes.slice(0, keysLength),
              let entries = bytes.slice(entriesStart, keyCount * Self.entrySize) else {
            throw .corrupt("field \(field) directory cut")
        }
        let postingsStart = entriesStart + keyCount * Self.entrySize
        self.keys = keys
        self.entries = entries
        self.postings = bytes.slice(postingsStart, bytes.count - postingsStart)!
    }

    /// The key at `i` (`0 ..< keyCount`).
    @inline(__always)
    func key(at i: Int) -> Key128 {
        let at = i * keyWidth
        switch keyWidth {
        case 2: return Key128(lo: UInt64(keys.le16(at: at)!))
        case 4: return Key128(lo: UInt64(keys.le32(at: at)!))
        case 8: return Key128(lo: keys.le64(at: at)!)
        default: return Key128(hi: keys.le64(at: at)!, lo: keys.le64(at: at + 8)!)
        }
    }

    /// First index whose key is ≥ `key`.
    func lowerBound(_ key: Key128) -> Int {
        var lo = 0, hi = keyCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if self.key(at: mid) < key { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Index of `key`, if present.
    func find(_ key: Key128) -> Int? {
        let i = lowerBound(key)
        return i < keyCount && self.key(at: i) == key ? i : nil
    }

    /// The indexes of the keys in `lower ... upper`.
    func range(_ lower: Key128, _ upper: Key128) -> Range<Int> {
        let start = lowerBound(lower)
        var end = start
        // Upper bound: first key > upper.
        var lo = start, hi = keyCount
        while lo < hi {
            let mid = (lo + hi) / 2
            if upper < key(at: mid) { hi = mid } else { lo = mid + 1 }
        }
        end = lo
        return start..<max(start, end)
    }

    /// Number of ordinals under key `i` (from the directory; no decoding).
    func count(at i: Int) -> Int { Int(entries.le32(at: i * Self.entrySize + 8) ?? 0) }

    /// The posting list of key `i`.
    func list(at i: Int) throws(IndexError) -> PostingList {
        let at = i * Self.entrySize
        guard let offset = entries.le32(at: at), let length = entries.le32(at: at + 4), let count = entries.le32(at: at + 8),
              let bytes = postings.slice(Int(offset), Int(length)) else {
            throw .corrupt("posting list \(i) of field \(field) outside its section")
        }
        return PostingList(bytes: bytes, count: Int(count), floor: floor, limit: limit)
    }

    /// Checks what queries assume without checking: keys strictly ascending, every list decodable.
    func verify() throws(IndexError) {
        var ordinals: [UInt32] = []
        for i in 0..<keyCount {
            if i > 0 && !(key(at: i - 1) < key(at: i)) { throw .corrupt("field \(field) keys out of order at \(i)") }
            ordinals.removeAll(keepingCapacity: true)
            try list(at: i).decode(into: &ordinals)
        }
    }
}

/// Read access to an application-name section: sorted names (labels reversed), each with the
/// sorted flow keys of the flows that carried it.
struct NameSection {
    let field: FieldID
    let nameCount: Int
    private let entries: UnsafeRawBufferPointer
    private let names: UnsafeRawBufferPointer
    private let flows: UnsafeRawBufferPointer

    init(field: FieldID, bytes: UnsafeRawBufferPointer) throws(IndexError) {
        self.field = field
        guard let count = bytes.le32(at: 0), let flowCount = bytes.le32(at: 4), Int(count) <= bytes.count,
              let entries = bytes.slice(8, Int(count) * 16) else {
            throw .corrupt("name section \(field) cut")
        }
        nameCount = Int(count)
        self.entries = entries
        let blobStart = 8 + nameCount * 16
        var blobLength = 0
        if nameCount > 0, let lastOffset = entries.le32(at: (nameCount - 1) * 16), let lastLength = entries.le32(at: (nameCount - 1) * 16 + 4) {
            blobLength = Int(lastOffset) + Int(lastLength)
        }
        let flowsStart = (blobStart + blobLength + 7) & ~7
        guard let names = bytes.slice(blobStart, blobLength), let flows = bytes.slice(flowsStart, Int(flowCount) * 8) else {
            throw .corrupt("name section \(field) cut")
        }
        self.names = names
        self.flows = flows
    }

    /// The reversed-label name at `i`.
    func name(at i: Int) throws(IndexError) -> UnsafeRawBufferPointer {
        guard let offset = entries.le32(at: i * 16), let length = entries.le32(at: i * 16 + 4),
              let bytes = names.slice(Int(offset), Int(length)) else { throw .corrupt("name \(i) outside its section") }
        return bytes
    }

    /// Adds to `out` the flow keys of every name matching `pattern`.
    func flows(matching pattern: NamePattern, into out: inout Set<UInt64>) throws(IndexError) {
        let target = pattern.reversedBytes
        // First name ≥ target (for an exact name, the only candidate; for a suffix, the range start).
        var lo = 0, hi = nameCount
        while lo < hi {
            let mid = (lo + hi) / 2
            let candidate = try name(at: mid)
            let c = target.withUnsafeBytes { compareRaw(candidate, $0) }
            if c < 0 { lo = mid + 1 } else { hi = mid }
        }
        var i = lo
        while i < nameCount {
            let name = try name(at: i)
            let matches = target.withUnsafeBytes { t in
                pattern.isSuffix ? name.starts(with: t) : compareRaw(name, t) == 0
            }
            guard matches else { break }
            try addFlows(of: i, into: &out)
            i += 1
        }
    }

    private func addFlows(of i: Int, into out: inout Set<UInt64>) throws(IndexError) {
        guard let first = entries.le32(at: i * 16 + 8), let count = entries.le32(at: i * 16 + 12) else {
            throw .corrupt("name entry \(i) cut")
        }
        for k in 0..<Int(count) {
            guard let key = flows.le64(at: (Int(first) + k) * 8) else { throw .corrupt("flow list of name \(i) cut") }
            out.insert(key)
        }
    }

    func verify() throws(IndexError) {
        var previous: UnsafeRawBufferPointer?
        var scratch = Set<UInt64>()
        for i in 0..<nameCount {
            let n = try name(at: i)
            if let previous, compareRaw(previous, n) >= 0 { throw .corrupt("names out of order at \(i)") }
            previous = n
            try addFlows(of: i, into: &scratch)
        }
    }
}

/// Lexicographic comparison of raw byte buffers.
func compareRaw(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = min(a.count, b.count)
    for i in 0..<n where a[i] != b[i] { return Int(a[i]) - Int(b[i]) }
    return a.count - b.count
}
