import PacketDecoding

/// What an ``ApplicationAnalyzer`` is told about the flow a payload belongs to.
public struct ApplicationFlowContext: Sendable {
    /// The flow's id (``ConnSummary/flowID``).
    public var flowID: UInt64
    /// The flow's slot in the table, `0 ..< maxFlows`: a dense index an analyzer can use for its
    /// own per-flow state (reused by later flows; compare ``flowID`` to detect that).
    public var slot: UInt32
    public var client: IPAddress
    public var clientPort: UInt16
    public var service: ServiceKey
    /// The application recognised on the flow so far (`.none` until an analyzer claimed it).
    public var application: ApplicationProtocol
    /// The flow's tunnel (nil when untunnelled), for the `txn` record and observations.
    public var tunnel: TunnelSummary?

    public init(flowID: UInt64, slot: UInt32, client: IPAddress, clientPort: UInt16, service: ServiceKey,
                application: ApplicationProtocol, tunnel: TunnelSummary? = nil) {
        self.tunnel = tunnel
        self.flowID = flowID
        self.slot = slot
        self.client = client
        self.clientPort = clientPort
        self.service = service
        self.application = application
    }
}

/// Where a TCP segment's payload sits in its direction's byte stream.
public struct TCPSegmentPosition: Sendable {
    /// Sequence number of the payload's first byte (the header's sequence, plus one on a SYN).
    public var sequence: UInt32
    /// Payload length on the wire; more than the captured bytes when the capture cut the packet.
    public var wireLength: Int
    /// Where the sender's stream starts (its ISN plus one) when its SYN was seen, else nil (the
    /// stream is then picked up at the first payload seen).
    public var streamStart: UInt32?
    /// The segment's acknowledgment number when its ACK flag is set: everything before it was
    /// received by this segment's sender, so a hole before it will not be filled.
    public var acknowledgment: UInt32?

    public init(sequence: UInt32, wireLength: Int, streamStart: UInt32?, acknowledgment: UInt32?) {
        self.sequence = sequence
        self.wireLength = wireLength
        self.streamStart = streamStart
        self.acknowledgment = acknowledgment
    }
}

/// What an ``ApplicationAnalyzer`` answers for a TCP segment.
public struct SegmentVerdict: Sendable {
    /// The application recognised on the flow (or `.none`), as for a datagram.
    public var application: ApplicationProtocol
    /// False once the analyzer wants no more segments of the flow: the tracker stops passing them.
    public var wantsMore: Bool

    public init(application: ApplicationProtocol, wantsMore: Bool) {
        self.application = application
        self.wantsMore = wantsMore
    }
}

/// The seam through which application-layer analysis (DNS, HTTP, TLS) plugs into the flow
/// tracker. The tracker calls it on the analytics thread, synchronously, in packet order.
///
/// For TCP every segment with payload is passed with its position (``segment(_:position:flow:fromOriginator:timestampNanos:)``),
/// retransmissions and out-of-order ones included: the analyzer reassembles. UDP datagrams are
/// passed whole (``payload(_:flow:fromOriginator:timestampNanos:)``).
public protocol ApplicationAnalyzer: AnyObject {
    /// Payload of one datagram of a flow. Returns the application recognised on the flow (or
    /// `.none`); the tracker records the first non-`.none` answer in ``ConnSummary/application``.
    /// Transactions are reported by the analyzer itself (it was given the sink at creation).
    func payload(_ bytes: UnsafeRawBufferPointer, flow: ApplicationFlowContext, fromOriginator: Bool,
                 timestampNanos: Int64) -> ApplicationProtocol

    /// Payload of one TCP segment (the captured bytes) and its place in the stream: the
    /// application recognised so far, and whether later segments of the flow are still wanted.
    func segment(_ bytes: UnsafeRawBufferPointer, position: TCPSegmentPosition, flow: ApplicationFlowContext,
                 fromOriginator: Bool, timestampNanos: Int64) -> SegmentVerdict

    /// The flow ends (or an interim report is made when `summary.isInterim`): fill the
    /// application fields of `summary` (`dnsQueryName`, `httpHost`, `tlsServerName`) and, when
    /// final, report pending transactions as unanswered and drop the flow's state.
    func flowEnded(_ flow: ApplicationFlowContext, summary: inout ConnSummary)
}
