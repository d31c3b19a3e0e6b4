/// Why a packet could not be decoded completely.
///
/// Hostile or damaged packets are classified here rather than trapping. Only the first problem found
/// (in header order) is recorded; fields decoded before it stay valid, fields after it stay zero.
/// Problems marked *non-fatal* below do not stop decoding.
public enum DecodeAnomaly: UInt8, Sendable, Hashable, CaseIterable {
    /// The packet decoded cleanly (a snaplen cut inside the payload is not an anomaly).
    case none
    /// The link type is not one of ``LinkType/supported``; nothing was decoded.
    case unsupportedLink
    /// The link-layer header (Ethernet, VLAN tag, SLL, loopback family, PPPoE, MPLS label, LLC/SNAP,
    /// FDDI, 802.11, radiotap, NFLOG header or attribute, IPoIB, Broadcom tag) is cut short.
    case truncatedLink
    /// More stacked VLAN tags or MPLS labels (8 per stack), or more nested tunnels
    /// (``PacketDecoder/maxTunnelDepth``), than the decoder walks; decoding stopped there.
    case tooManyEncapsulations
    /// The IPv4/IPv6 fixed header, IPv4 options or the ARP header is cut short by the capture.
    case truncatedNetwork
    /// The IP version nibble does not match what the link layer announced (or is neither 4 nor 6).
    case badIPVersion
    /// IPv4 header length (IHL) below 5 words.
    case badIPHeaderLength
    /// IPv4 total length smaller than its own header.
    case badIPTotalLength
    /// An IPv6 extension header is cut short by the capture.
    case truncatedExtensionHeader
    /// An IPv6 extension header runs past the IPv6 payload length.
    case badExtensionHeader
    /// More IPv6 extension headers than the decoder walks (10); decoding stopped there.
    case tooManyExtensionHeaders
    /// Non-fatal: the fragment's offset plus its length exceeds 65,535 bytes ("ping of death").
    case fragmentOverflow
    /// The TCP/UDP/SCTP/ICMP header is cut short (ports may still be set if their 4 bytes were present).
    case truncatedTransport
    /// TCP data offset below 5 words, or a TCP header longer than the IP payload.
    case badTCPOffset
    /// Non-fatal: UDP length below 8 or beyond the IP payload; the payload is bounded by the IP payload.
    case badUDPLength
    /// Non-fatal: an ICMP/ICMPv6 error message whose quoted IP header is missing, cut or malformed.
    case badICMPQuote
    /// A tunnel header (GRE, ERSPAN, VXLAN, Geneve, GTP-U) or the frame or packet right inside a
    /// tunnel (MPLS pseudowires included) is cut short; the fields describe the layer outside it.
    case truncatedTunnel
    /// A tunnel header whose fixed bits or lengths are wrong (GRE version or routing, VXLAN I flag,
    /// Geneve version, GTP-U version, ERSPAN version, an option or extension length past a fully
    /// captured payload, a radiotap version or length); the fields describe the layer outside it.
    case badTunnelHeader
    /// A tunnel announces a payload the decoder does not know (a GRE protocol type, an ERSPAN frame
    /// type, a GTP-U payload that is not IP, an MPLS payload that is neither IP nor Ethernet).
    case unknownTunnelPayload
    /// A link header whose fixed fields or lengths are wrong: an NFLOG version other than 0, an
    /// NFLOG attribute shorter than its own 4-byte header, or more NFLOG attributes before the
    /// payload than the decoder walks (32). Nothing past the link header is decoded.
    case badLinkHeader
}
