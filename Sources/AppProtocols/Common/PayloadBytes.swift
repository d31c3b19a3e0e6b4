/// A bounds-checked view of one application payload (the bytes after the UDP/TCP header).
///
/// Every parser checks `has(offset, length)` before reading a field, and every load checks again
/// and yields 0 when out of range: a forgotten check can produce a wrong field but never an
/// out-of-bounds read. `UnsafeRawBufferPointer`'s own subscript is only checked in debug builds,
/// which is why the parsers never subscript the payload directly. Compiling with
/// `-D APP_PROTOCOLS_STRICT_LOADS` (done by the fuzz target) turns such a load into a trap so the
/// fuzzer finds the missing check.
struct PayloadBytes {
    /// First byte; nil only for an empty buffer (then `count` is 0 and nothing is ever loaded).
    let base: UnsafeRawPointer?
    /// Number of readable bytes; no load ever reaches `base + count`.
    let count: Int

    @inline(__always)
    init(_ buffer: UnsafeRawBufferPointer) {
        base = buffer.baseAddress
        count = buffer.baseAddress == nil ? 0 : buffer.count
    }

    /// A view of the first `count` bytes of `other` (clamped to `other.count`).
    @inline(__always)
    init(prefixOf other: PayloadBytes, count: Int) {
        base = other.base
        self.count = max(0, min(count, other.count))
    }

    /// Whether `length` bytes starting at `offset` are present.
    @inline(__always)
    func has(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= count &- length
    }

    @inline(__always)
    private func checked(_ offset: Int, _ length: Int) -> Bool {
        let ok = has(offset, length) && base != nil
        #if APP_PROTOCOLS_STRICT_LOADS
        precondition(ok, "AppProtocols: unchecked load at \(offset)+\(length) of \(count)")
        #endif
        return ok
    }

    /// One byte, or 0 if out of range.
    @inline(__always)
    func u8(_ offset: Int) -> UInt8 {
        guard checked(offset, 1), let base else { return 0 }
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// A big-endian 16-bit value, or 0 if out of range.
    @inline(__always)
    func u16(_ offset: Int) -> UInt16 {
        guard checked(offset, 2), let base else { return 0 }
        return UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// A big-endian 24-bit value (TLS handshake lengths), or 0 if out of range.
    @inline(__always)
    func u24(_ offset: Int) -> Int {
        guard has(offset, 3) else { return 0 }
        return Int(u8(offset)) << 16 | Int(u16(offset &+ 1))
    }
}
