/// Bounds-checked little-endian reads from an index image. Every accessor takes the full buffer
/// and an offset and returns nil when the read would leave the buffer, so a corrupt index can give
/// an error but never an out-of-bounds read.
extension UnsafeRawBufferPointer {
    @inline(__always)
    func le16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset <= count &- 2, let base = baseAddress else { return nil }
        return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    func le32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count &- 4, let base = baseAddress else { return nil }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func le64(at offset: Int) -> UInt64? {
        guard offset >= 0, offset <= count &- 8, let base = baseAddress else { return nil }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A sub-range, or nil when `[offset, offset + length)` is not inside the buffer.
    @inline(__always)
    func slice(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, length >= 0, offset <= count &- length, let base = baseAddress else {
            return length == 0 && offset >= 0 && offset <= count ? UnsafeRawBufferPointer(start: nil, count: 0) : nil
        }
        return UnsafeRawBufferPointer(start: base + offset, count: length)
    }

    /// Decodes an unsigned LEB128 value of at most 5 bytes at `offset`, advancing it; nil on a value
    /// that overruns the buffer or does not fit 32 bits.
    @inline(__always)
    func varint(at offset: inout Int) -> UInt32? {
        guard let base = baseAddress else { return nil }
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while offset < count {
            let b = base.load(fromByteOffset: offset, as: UInt8.self)
            offset += 1
            if shift == 28 && b > 0x0F { return nil }
            result |= UInt32(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 28 { return nil }
        }
        return nil
    }
}
