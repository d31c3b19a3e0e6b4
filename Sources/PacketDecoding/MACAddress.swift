/// A 48-bit IEEE MAC address held in the low 48 bits of a `UInt64` (first byte on the wire is the
/// most significant), so it compares, hashes and stores as one integer.
public struct MACAddress: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The address in the low 48 bits; the top 16 bits are always zero.
    public var rawValue: UInt64

    /// Creates an address from a 48-bit value; higher bits are discarded.
    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue & 0xFFFF_FFFF_FFFF }

    /// The all-zero address (also the value when no Ethernet header was decoded).
    public static let zero = MACAddress(rawValue: 0)

    /// Lowercase colon-separated hex, e.g. `00:1a:2b:3c:4d:5e` (not used on the decode path).
    public var description: String {
        (0..<6).map { i -> String in
            let byte = UInt8(truncatingIfNeeded: rawValue >> UInt64(40 - 8 * i))
            return byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }.joined(separator: ":")
    }

    public static func < (lhs: MACAddress, rhs: MACAddress) -> Bool { lhs.rawValue < rhs.rawValue }
}
