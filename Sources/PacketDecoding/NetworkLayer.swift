/// The network-layer protocol found after the link layer.
public enum NetworkLayer: UInt8, Sendable, Hashable {
    /// No network layer was reached (link layer cut short, or unsupported link type).
    case none
    /// IPv4; ``DecodedPacket/src`` and ``DecodedPacket/dst`` are IPv4-mapped.
    case ipv4
    /// IPv6.
    case ipv6
    /// ARP (EtherType 0x0806); its body is not decoded.
    case arp
    /// Anything else (another EtherType, 802.3/LLC frame, unknown loopback family, non-IP PPP).
    case other
}

/// The transport-layer header that was decoded (at least up to its ports, or its type/code for ICMP).
public enum TransportLayer: UInt8, Sendable, Hashable {
    /// No transport header decoded: not IP, a non-first fragment, or cut before the ports.
    case none
    /// TCP (protocol 6).
    case tcp
    /// UDP (protocol 17).
    case udp
    /// SCTP (protocol 132); only the common header is decoded.
    case sctp
    /// ICMP (protocol 1).
    case icmp
    /// ICMPv6 (protocol 58).
    case icmpv6
    /// Another IP protocol (GRE, ESP, IP-in-IP, ...): its header is not decoded; the payload
    /// fields then cover the whole IP payload.
    case other
}
