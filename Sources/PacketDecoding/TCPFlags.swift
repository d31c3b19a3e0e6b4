/// The TCP flag bits: the low 12 bits of TCP header bytes 12–13 (4 reserved bits, AE, then
/// CWR ECE URG ACK PSH RST SYN FIN). Reserved bits are kept so oddities stay visible.
public struct TCPFlags: OptionSet, Sendable, Hashable {
    /// The flag bits as on the wire (low 12 bits).
    public var rawValue: UInt16

    /// Creates flags from their wire bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// FIN: no more data from sender.
    public static let fin = TCPFlags(rawValue: 0x001)
    /// SYN: synchronise sequence numbers.
    public static let syn = TCPFlags(rawValue: 0x002)
    /// RST: reset the connection.
    public static let rst = TCPFlags(rawValue: 0x004)
    /// PSH: push function.
    public static let psh = TCPFlags(rawValue: 0x008)
    /// ACK: acknowledgment field significant.
    public static let ack = TCPFlags(rawValue: 0x010)
    /// URG: urgent pointer significant.
    public static let urg = TCPFlags(rawValue: 0x020)
    /// ECE: ECN echo.
    public static let ece = TCPFlags(rawValue: 0x040)
    /// CWR: congestion window reduced.
    public static let cwr = TCPFlags(rawValue: 0x080)
    /// AE: accurate ECN (formerly NS, RFC 3540).
    public static let ae = TCPFlags(rawValue: 0x100)
}
