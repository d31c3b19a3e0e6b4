/// IPv4 fragmentation fields, or those of an IPv6 Fragment extension header.
public struct FragmentInfo: Sendable, Hashable {
    /// Whether the packet is part of a fragmented datagram (`moreFragments` or `offset > 0`).
    /// An IPv6 *atomic fragment* (fragment header with offset 0 and M = 0, RFC 6946) is whole:
    /// `isFragment` is false and ``hasIPv6FragmentHeader`` is true.
    public var isFragment: Bool = false
    /// The "more fragments" flag (IPv4 MF, IPv6 M).
    public var moreFragments: Bool = false
    /// IPv4 "don't fragment" flag (always false for IPv6).
    public var dontFragment: Bool = false
    /// Whether an IPv6 Fragment extension header (44) was present.
    public var hasIPv6FragmentHeader: Bool = false
    /// Fragment offset in **bytes** (the wire value times 8).
    public var offset: UInt16 = 0
    /// IPv4 identification (16 bits) or IPv6 fragment identification (32 bits).
    public var identification: UInt32 = 0

    /// Whether this is a non-first fragment: it carries no transport header, so no ports.
    @inlinable public var isNonFirst: Bool { offset > 0 }

    /// Whether this is an IPv6 atomic fragment (fragment header, offset 0, M = 0).
    @inlinable public var isAtomic: Bool { hasIPv6FragmentHeader && !isFragment }

    /// Creates an empty value (not a fragment).
    public init() {}
}
