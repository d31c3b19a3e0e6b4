/// A bounds-checked big-endian view of the captured bytes.
///
/// Safety is layered: every decoder checks `has(offset, length)` before touching a header, and
/// every load checks again and yields 0 when out of range — so a missing header check can produce a
/// wrong field but never an out-of-bounds read. Compiling with `-D PACKET_DECODING_STRICT_LOADS`
/// (done by the fuzz target) turns such a load into a trap so the fuzzer finds the missing check.
struct PacketBytes {
    let base: UnsafeRawPointer
    /// Number of captured bytes; no load ever reaches `base + count`.
    let count: Int

    @inline(__always)
    init(base: UnsafeRawPointer, count: Int) {
        self.base = base
        self.count = count
    }

    /// The same bytes cut at `end` (a tunnel's payload ends where its outer header says, whatever
    /// follows in the capture). Offsets are unchanged.
    @inline(__always)
    func limited(to end: Int) -> PacketBytes {
        PacketBytes(base: base, count: max(0, min(count, end)))
    }

    /// Whether `length` bytes starting at `offset` were captured.
    @inline(__always)
    func has(_ offset: Int, _ length: Int) -> Bool {
        offset >= 0 && length >= 0 && offset <= count &- length
    }

    @inline(__always)
    private func checked(_ offset: Int, _ length: Int) -> Bool {
        let ok = has(offset, length)
        #if PACKET_DECODING_STRICT_LOADS
        precondition(ok, "PacketDecoding: unchecked load at \(offset)+\(length) of \(count)")
        #endif
        return ok
    }

    /// One byte, or 0 if out of range.
    @inline(__always)
    func u8(_ offset: Int) -> UInt8 {
        checked(offset, 1) ? base.load(fromByteOffset: offset, as: UInt8.self) : 0
    }

    /// A big-endian 16-bit value, or 0 if out of range.
    @inline(__always)
    func u16(_ offset: Int) -> UInt16 {
        checked(offset, 2) ? UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) : 0
    }

    /// A big-endian 32-bit value, or 0 if out of range.
    @inline(__always)
    func u32(_ offset: Int) -> UInt32 {
        checked(offset, 4) ? UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) : 0
    }

    /// A big-endian 64-bit value, or 0 if out of range.
    @inline(__always)
    func u64(_ offset: Int) -> UInt64 {
        checked(offset, 8) ? UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) : 0
    }

    /// A 6-byte MAC address, or zero if out of range.
    @inline(__always)
    func mac(_ offset: Int) -> MACAddress {
        MACAddress(rawValue: UInt64(u32(offset)) << 16 | UInt64(u16(offset &+ 4)))
    }

    /// A 4-byte IPv4 address, IPv4-mapped.
    @inline(__always)
    func ipv4Address(_ offset: Int) -> IPAddress { IPAddress(ipv4: u32(offset)) }

    /// A 16-byte IPv6 address.
    @inline(__always)
    func ipv6Address(_ offset: Int) -> IPAddress {
        IPAddress(high: u64(offset), low: u64(offset &+ 8))
    }
}
