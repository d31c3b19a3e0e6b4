/// The flow identity quoted inside an ICMP or ICMPv6 error message (destination unreachable,
/// source quench, redirect, time exceeded, parameter problem, packet too big), so the error can be
/// attributed to the flow that triggered it.
///
/// `src`/`dst`/ports are those of the *quoted* (original, outbound) packet: the reverse of the
/// error's own direction for errors sent back to the original sender.
public struct QuotedFlow: Sendable, Hashable {
    /// Whether a quoted IP header was decoded.
    public var isPresent: Bool = false
    /// Whether the quoted transport ports were decoded (TCP/UDP/SCTP first fragment with 4 bytes).
    public var hasPorts: Bool = false
    /// Quoted source address.
    public var src: IPAddress = .zero
    /// Quoted destination address.
    public var dst: IPAddress = .zero
    /// Quoted upper-layer protocol (after IPv6 extension headers).
    public var ipProtocol: UInt8 = 0
    /// Quoted source port.
    public var srcPort: UInt16 = 0
    /// Quoted destination port.
    public var dstPort: UInt16 = 0

    /// Creates an empty value.
    public init() {}
}
