/// Internet checksum (RFC 1071) over raw memory.
///
/// Words are loaded in host order: the one's-complement sum is byte-order independent, so
/// the folded result stored back in host order lands in network order on any host.
enum InternetChecksum {
    /// Unfolded sum of `count` bytes at `p` (`p` must start on an even offset of the summed data).
    @inline(__always)
    static func sum(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
        var a: UInt64 = 0
        var b: UInt64 = 0
        var i = 0
        while i + 16 <= count {
            a &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            b &+= UInt64(p.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
            a &+= UInt64(p.loadUnaligned(fromByteOffset: i + 8, as: UInt32.self))
            b &+= UInt64(p.loadUnaligned(fromByteOffset: i + 12, as: UInt32.self))
            i += 16
        }
        while i + 2 <= count {
            a &+= UInt64(p.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i += 2
        }
        if i < count {
            // A trailing odd byte is the first byte of a zero-padded 16-bit word.
            let byte = UInt16(p.load(fromByteOffset: i, as: UInt8.self))
            a &+= UInt64(UInt16(bigEndian: byte << 8))
        }
        return a &+ b
    }

    /// Host-order representation of a 16-bit network-order value, for adding fields to a sum.
    @inline(__always)
    static func word(_ value: UInt16) -> UInt64 { UInt64(value.bigEndian) }

    /// Folds a sum to 16 bits and complements it: the value to store (in host order).
    @inline(__always)
    static func finish(_ sum: UInt64) -> UInt16 {
        var s = (sum & 0xFFFF_FFFF) &+ (sum >> 32)
        s = (s & 0xFFFF) &+ (s >> 16)
        s = (s & 0xFFFF) &+ (s >> 16)
        s = (s & 0xFFFF) &+ (s >> 16)
        return ~UInt16(truncatingIfNeeded: s)
    }
}
