/// The decoded headers of one packet: a plain value filled in place by ``PacketDecoder`` so a
/// caller can reuse one instance for every packet (no allocation).
///
/// Every field is zero / empty / `.none` until the decoder reaches the layer that sets it; check
/// ``network``, ``transport`` and ``anomaly`` before trusting deeper fields. Offsets are byte offsets
/// into the buffer given to the decoder.
public struct DecodedPacket: Sendable, Equatable {
    // MARK: Outcome
    /// The first problem found, or `.none`.
    public var anomaly: DecodeAnomaly = .none
    /// Number of bytes that were captured (the buffer length given to the decoder).
    public var capturedLength: Int = 0

    // MARK: Link layer
    /// Whether an Ethernet header was decoded (``srcMAC``/``dstMAC`` are valid).
    public var hasEthernet: Bool = false
    /// Ethernet source address.
    public var srcMAC: MACAddress = .zero
    /// Ethernet destination address.
    public var dstMAC: MACAddress = .zero
    /// Number of VLAN tags walked (802.1Q 0x8100, 802.1ad 0x88a8, 0x9100): 0, 1, or 2+ for QinQ.
    public var vlanCount: UInt8 = 0
    /// VLAN id (12 bits) of the outermost tag; valid when `vlanCount >= 1`.
    public var outerVLAN: UInt16 = 0
    /// VLAN id of the second tag; valid when `vlanCount >= 2`.
    public var innerVLAN: UInt16 = 0
    /// The EtherType after any VLAN tags (e.g. 0x0800, 0x86DD, 0x0806, 0x8864 for PPPoE, 0x8847 for
    /// MPLS). 0 for links without an EtherType (raw IP, loopback) and for 802.3 length frames.
    public var etherType: UInt16 = 0

    // MARK: Network layer
    /// Which network layer was found.
    public var network: NetworkLayer = .none
    /// Offset of the network header (valid when `network != .none`).
    public var networkOffset: Int = 0
    /// Source address (IPv4-mapped for IPv4).
    public var src: IPAddress = .zero
    /// Destination address (IPv4-mapped for IPv4).
    public var dst: IPAddress = .zero
    /// The final upper-layer protocol: IPv4 protocol, or for IPv6 the next header after walking the
    /// extension headers (e.g. 6 for TCP behind a fragment header; 50 for ESP; 59 for no-next-header).
    public var ipProtocol: UInt8 = 0
    /// IPv4 TTL or IPv6 hop limit.
    public var ttl: UInt8 = 0
    /// Fragmentation fields.
    public var fragment = FragmentInfo()

    // MARK: Transport layer
    /// Which transport header was decoded.
    public var transport: TransportLayer = .none
    /// Offset of the transport header (the start of the IP payload after extension headers).
    public var transportOffset: Int = 0
    /// Source port (TCP, UDP, SCTP); 0 otherwise and for non-first fragments.
    public var srcPort: UInt16 = 0
    /// Destination port (TCP, UDP, SCTP); 0 otherwise and for non-first fragments.
    public var dstPort: UInt16 = 0
    /// TCP header fields.
    public var tcp = TCPInfo()
    /// ICMP / ICMPv6 type (valid when `transport` is `.icmp` or `.icmpv6`).
    public var icmpType: UInt8 = 0
    /// ICMP / ICMPv6 code.
    public var icmpCode: UInt8 = 0
    /// The flow quoted by an ICMP / ICMPv6 error message.
    public var quoted = QuotedFlow()

    // MARK: Encapsulation
    /// The encapsulations walked to reach the fields above (which describe the innermost packet),
    /// their identities and the outermost IP layer. Empty for a plain packet.
    public var tunnel = TunnelInfo()

    // MARK: Payload
    /// Offset of the transport payload (after the TCP/UDP/SCTP/ICMP header; the whole IP payload for
    /// other protocols and non-first fragments).
    public var payloadOffset: Int = 0
    /// Payload bytes present in the buffer: bounded by the captured length *and* the IP length, so
    /// Ethernet padding never counts. `bytes[payloadOffset ..< payloadOffset + payloadLength]` is safe.
    public var payloadLength: Int = 0
    /// Payload length the IP (and UDP) headers declare, which exceeds ``payloadLength`` when the
    /// capture was cut by a snaplen. Use this for byte accounting.
    public var payloadWireLength: Int = 0

    // MARK: Decoder bookkeeping (not part of the result)
    /// The nesting at which `decodeInside` stops (lowered for a second pass, see `PacketDecoder.decode`).
    @usableFromInline var nestingLimit = UInt8(PacketDecoder.maxTunnelDepth)
    /// A tunnel whose content held nothing decodable: its nesting and why. The decoder then decodes
    /// again, stopping before it, instead of copying the whole value at every tunnel to restore it.
    @usableFromInline var failedNesting: UInt8 = 0
    @usableFromInline var failedProblem: DecodeAnomaly = .none
    /// On a second pass: the anomaly to name where decoding stops (at `nestingLimit`).
    @usableFromInline var limitProblem: DecodeAnomaly = .none

    /// Creates an empty value.
    public init() {}

    /// Clears every field back to its empty value.
    ///
    /// Field by field, so that ``tunnel`` (a third of the value) is only cleared when a tunnel was
    /// met: plain packets, the common case, do not pay for zeroing it (every write to `tunnel`
    /// inserts into `tunnel.layers` first). `TunnelDecodingTests` checks that a reset value equals
    /// `DecodedPacket()` after the decoder has set every field.
    @inlinable
    public mutating func reset() {
        if tunnel.layers.rawValue != 0 { tunnel = TunnelInfo() }
        nestingLimit = UInt8(PacketDecoder.maxTunnelDepth)
        failedNesting = 0
        failedProblem = .none
        limitProblem = .none
        anomaly = .none
        capturedLength = 0
        clearInnerPacket(newFrame: true)
    }

    /// Clears the fields that describe the packet, before the decoder fills them from the packet a
    /// tunnel carries. `newFrame` also clears the link-layer fields (the tunnel carries a frame).
    @inlinable
    mutating func clearInnerPacket(newFrame: Bool) {
        if newFrame {
            hasEthernet = false
            srcMAC = .zero
            dstMAC = .zero
            vlanCount = 0
            outerVLAN = 0
            innerVLAN = 0
        }
        etherType = 0
        network = .none
        networkOffset = 0
        src = .zero
        dst = .zero
        ipProtocol = 0
        ttl = 0
        fragment = FragmentInfo()
        transport = .none
        transportOffset = 0
        srcPort = 0
        dstPort = 0
        tcp = TCPInfo()
        icmpType = 0
        icmpCode = 0
        quoted = QuotedFlow()
        payloadOffset = 0
        payloadLength = 0
        payloadWireLength = 0
    }

    /// Records `anomaly` unless an earlier one was already recorded (first problem wins).
    @inline(__always)
    mutating func flag(_ problem: DecodeAnomaly) {
        if anomaly == .none { anomaly = problem }
    }
}
