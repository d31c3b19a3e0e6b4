/// The TCP header fields beyond the ports (valid when ``DecodedPacket/transport`` is `.tcp` and the
/// 20-byte fixed header was captured; otherwise zero).
public struct TCPInfo: Sendable, Hashable {
    /// Sequence number.
    public var sequence: UInt32 = 0
    /// Acknowledgment number (meaningful when `flags` contains `.ack`).
    public var acknowledgment: UInt32 = 0
    /// Receive window as on the wire (window scaling is not applied).
    public var window: UInt16 = 0
    /// Flag bits.
    public var flags: TCPFlags = []
    /// Header length in bytes (data offset × 4, 20...60); 0 when not decoded.
    public var headerLength: UInt8 = 0

    /// Creates an empty value.
    public init() {}
}
