/// Metadata of one captured packet. The bytes live in the source's buffer and are valid only
/// until the source is asked for the next packet.
public struct PacketHeader: Sendable, Hashable {
    /// Seconds since the Unix epoch, as the source gave them.
    public var seconds: Int64
    /// Sub-second part in nanoseconds, as the source gave it (kept raw, not normalised, so that a
    /// file with an out-of-range fraction is stored exactly as it was read).
    public var nanoseconds: UInt32
    /// Bytes captured (present in the buffer).
    public var capturedLength: UInt32
    /// Length on the wire.
    public var originalLength: UInt32

    @inlinable
    public init(seconds: Int64, nanoseconds: UInt32, capturedLength: UInt32, originalLength: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.capturedLength = capturedLength
        self.originalLength = originalLength
    }

    /// Nanoseconds since the Unix epoch.
    @inlinable
    public var timestampNanos: Int64 { seconds &* 1_000_000_000 &+ Int64(nanoseconds) }
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
