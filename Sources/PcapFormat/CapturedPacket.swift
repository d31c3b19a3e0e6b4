/// Metadata of one captured packet. The bytes live in the source's buffer and are valid only
/// until the source is asked for the next packet.
public struct PacketHeader: Sendable, Hashable {
    /// Nanoseconds since the Unix epoch (normalised; use for time logic).
    public var timestampNanos: Int64
    /// Seconds field exactly as the source gave it (what gets written back).
    public var seconds: UInt32
    /// Sub-second field exactly as the source gave it, in the source's resolution (micro- or
    /// nanoseconds). Kept raw, even out of range, so a file is stored exactly as it was read.
    public var fraction: UInt32
    /// Bytes captured (present in the buffer).
    public var capturedLength: UInt32
    /// Length on the wire.
    public var originalLength: UInt32

    @inlinable
    public init(seconds: UInt32, fraction: UInt32, nanosecond: Bool, capturedLength: UInt32, originalLength: UInt32) {
        self.seconds = seconds
        self.fraction = fraction
        self.timestampNanos = Int64(seconds) &* 1_000_000_000 &+ Int64(fraction) &* (nanosecond ? 1 : 1000)
        self.capturedLength = capturedLength
        self.originalLength = originalLength
    }

    /// The time a classic pcap record of this packet holds (`seconds` and `fraction` as written, in
    /// the file's resolution): `timestampNanos`, except for pcapng times outside 1970-2106, whose
    /// seconds a record truncates to 32 bits.
    @inlinable
    public func storedNanos(nanosecond: Bool) -> Int64 {
        Int64(seconds) &* 1_000_000_000 &+ Int64(fraction) &* (nanosecond ? 1 : 1000)
    }

    /// For sources whose time does not come as 32-bit seconds (pcapng): `timestampNanos` keeps the
    /// full value; `seconds` is truncated to what a classic pcap record can hold.
    @inlinable
    public init(timestampNanos: Int64, seconds: UInt32, fraction: UInt32, capturedLength: UInt32, originalLength: UInt32) {
        self.timestampNanos = timestampNanos
        self.seconds = seconds
        self.fraction = fraction
        self.capturedLength = capturedLength
        self.originalLength = originalLength
    }
}

/// What a capture source returns when asked for the next packet.
public enum NextPacket {
    /// A packet; `bytes` is borrowed from the source until the next call.
    case packet(PacketHeader, UnsafeRawBufferPointer)
    /// A live source's read timeout expired with no packet (lets the caller do periodic work).
    case timeout
    /// The source is exhausted (end of file) or was told to stop.
    case end
}

/// Link-layer and timestamp description of a source, as needed to write a pcap file for it.
public struct SourceFormat: Sendable, Hashable {
    /// LINKTYPE_ value (e.g. 1 Ethernet, 113 Linux SLL, 276 SLL2, 101 raw IP).
    public var linkType: UInt32
    public var snaplen: UInt32
    /// True when the source's own timestamps are nanosecond-resolution.
    public var nanosecond: Bool

    public init(linkType: UInt32, snaplen: UInt32, nanosecond: Bool) {
        self.linkType = linkType
        self.snaplen = snaplen
        self.nanosecond = nanosecond
    }
}
