/// An append-only little-endian byte buffer used to serialise an index: raw stores into a buffer
/// that doubles when full (an index of a 1 GB segment is ~10 MB of mostly one-byte varints, so the
/// per-byte cost matters for ingest time).
struct ByteWriter {
    private final class Storage {
        var base: UnsafeMutablePointer<UInt8>
        var count = 0
        var capacity: Int

        init(capacity: Int) {
            self.capacity = max(capacity, 64)
            base = .allocate(capacity: self.capacity)
        }

        deinit { base.deallocate() }

        @inline(__always)
        func reserve(_ extra: Int) {
            if count + extra > capacity { grow(count + extra) }
        }

        func grow(_ needed: Int) {
            var newCapacity = capacity * 2
            while newCapacity < needed { newCapacity *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: base, count: count)
            base.deallocate()
            base = grown
            capacity = newCapacity
        }
    }

    private let storage: Storage

    init(capacity: Int = 0) { storage = Storage(capacity: capacity) }

    var count: Int { storage.count }

    /// A copy of the bytes written.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage.base, count: storage.count)) }

    /// The bytes written, without copying (valid until the next write).
    var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage.base, count: storage.count) }

    @inline(__always)
    mutating func u8(_ v: UInt8) {
        storage.reserve(1)
        storage.base[storage.count] = v
        storage.count += 1
    }

    @inline(__always)
    private mutating func little<T: FixedWidthInteger>(_ v: T) {
        let size = MemoryLayout<T>.size
        storage.reserve(size)
        UnsafeMutableRawPointer(storage.base + storage.count).storeBytes(of: v.littleEndian, as: T.self)
        storage.count += size
    }

    mutating func u16(_ v: UInt16) { little(v) }
    mutating func u32(_ v: UInt32) { little(v) }
    mutating func u64(_ v: UInt64) { little(v) }
    mutating func i64(_ v: Int64) { little(v) }

    /// Unsigned LEB128: 7 bits per byte, high bit set on every byte but the last.
    @inline(__always)
    mutating func varint(_ v: UInt32) {
        storage.reserve(5)
        var v = v
        var at = storage.count
        let p = storage.base
        while v >= 0x80 {
            p[at] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            at += 1
        }
        p[at] = UInt8(v)
        storage.count = at + 1
    }

    mutating func append(_ other: UnsafeRawBufferPointer) {
        guard let src = other.baseAddress, other.count > 0 else { return }
        storage.reserve(other.count)
        UnsafeMutableRawPointer(storage.base + storage.count).copyMemory(from: src, byteCount: other.count)
        storage.count += other.count
    }

    mutating func append(_ other: [UInt8]) { other.withUnsafeBytes { append($0) } }

    mutating func append(_ other: ByteWriter) { append(other.raw) }

    /// Appends `count` zero bytes and returns where they start (for bitmaps filled in place).
    mutating func appendZeros(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        storage.reserve(count)
        let start = storage.base + storage.count
        start.initialize(repeating: 0, count: count)
        storage.count += count
        return start
    }

    /// Makes room for `capacity` bytes in all, so appends up to that size never regrow.
    mutating func reserve(_ capacity: Int) {
        if capacity > storage.capacity { storage.grow(capacity) }
    }

    /// Forgets the bytes written, keeping the storage (its pages stay mapped for the next use).
    mutating func removeAll() { storage.count = 0 }

    /// Overwrites `bytes.count` bytes at `offset` (used to fill a reserved header and table).
    mutating func patch(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset + bytes.count <= storage.count)
        guard let src = bytes.baseAddress else { return }
        UnsafeMutableRawPointer(storage.base + offset).copyMemory(from: src, byteCount: bytes.count)
    }

    /// Pads with zeros to a multiple of `alignment`.
    mutating func align(_ alignment: Int) {
        while storage.count % alignment != 0 { u8(0) }
    }

    /// Overwrites 4 bytes at `offset` (used to back-patch offsets and checksums).
    mutating func patch32(_ v: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= storage.count)
        UnsafeMutableRawPointer(storage.base + offset).storeBytes(of: v.littleEndian, as: UInt32.self)
    }

    /// Size in bytes of the LEB128 encoding of `v`.
    @inline(__always)
    static func varintSize(_ v: UInt32) -> Int {
        v < 1 << 7 ? 1 : v < 1 << 14 ? 2 : v < 1 << 21 ? 3 : v < 1 << 28 ? 4 : 5
    }
}
