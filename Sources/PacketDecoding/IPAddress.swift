/// An IPv4 or IPv6 address in a fixed 16-byte value (two big-endian 64-bit halves).
///
/// IPv4 addresses are stored IPv4-mapped (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2), the same tagging
/// Zeek uses, so one type keys flow tables for both families. The price: an IPv6 header carrying a
/// literal IPv4-mapped address (never legitimate on the wire) is indistinguishable from IPv4.
/// Ordering is numeric on the 128-bit value, so all IPv4 addresses sort together.
public struct IPAddress: Sendable, Hashable, Comparable {
    /// Bytes 0–7 of the 16-byte address as a big-endian integer.
    public var high: UInt64
    /// Bytes 8–15 of the 16-byte address as a big-endian integer.
    public var low: UInt64

    /// The unspecified address `::` (also the value of an address that was not decoded).
    public static let zero = IPAddress(high: 0, low: 0)

    /// The IPv4-mapped prefix `::ffff:0:0/96`, as it appears in ``low``.
    static let v4MappedTag: UInt64 = 0x0000_FFFF_0000_0000

    /// Creates an address from its two big-endian halves.
    @inlinable
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates the IPv4-mapped form of an IPv4 address given as a host-order integer
    /// (`0x0A000001` is `10.0.0.1`).
    @inlinable
    public init(ipv4: UInt32) {
        self.high = 0
        self.low = 0x0000_FFFF_0000_0000 | UInt64(ipv4)
    }

    /// Whether this is an IPv4 address (stored IPv4-mapped).
    @inlinable
    public var isIPv4: Bool { high == 0 && (low >> 32) == 0xFFFF }

    /// The IPv4 address as a host-order integer, or `nil` for IPv6.
    @inlinable
    public var ipv4: UInt32? { isIPv4 ? UInt32(truncatingIfNeeded: low) : nil }

    /// The sixteen address bytes in network order.
    public var bytes: [UInt8] {
        (0..<16).map { i in
            let word = i < 8 ? high : low
            return UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (i % 8)))
        }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }
}
