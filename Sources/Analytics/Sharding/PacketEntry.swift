import PacketDecoding

/// The entries of a worker's ``PacketRing``.
enum RingTag {
    /// ``PacketEntry`` then the captured frame; the worker decodes it. (Decoding again is cheaper
    /// than carrying the decoded form: a few tens of ns against two copies of a several-hundred-
    /// byte struct and a ring half as full.)
    static let packet: UInt32 = 1
    /// A ``Mark``.
    static let mark: UInt32 = 2
    /// ``PacketEntry``, the ``DecodedPacket``, then the bytes: a packet the dispatcher rebuilt
    /// (the inner datagram of a reassembled tunnel packet), which is not a frame of the link type.
    static let decodedPacket: UInt32 = 3
}

/// The fixed part of a packet entry.
struct PacketEntry {
    var timestampNanos: Int64
    /// Packet time of the whole stream when this packet was dispatched (the latest timestamp of
    /// any packet so far): the worker's clock, so timeouts fire as they would with one analyzer.
    var streamNanos: Int64
    var segmentID: Int64
    var length: Int32
    var linkType: UInt32

    /// Where the bytes start in a ``RingTag/packet`` entry.
    static let frameOffset = (MemoryLayout<PacketEntry>.stride + 7) & ~7
    /// Where the decoded packet and the bytes start in a ``RingTag/decodedPacket`` entry.
    static let decodedOffset = (MemoryLayout<PacketEntry>.stride + 15) & ~15
    static let bytesOffset = decodedOffset + ((MemoryLayout<DecodedPacket>.stride + 15) & ~15)
}
