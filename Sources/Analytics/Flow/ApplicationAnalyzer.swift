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

/// The seam through which application-layer analysis (DNS, HTTP, TLS) plugs into the flow
/// tracker. The tracker calls it on the analytics thread, synchronously, in packet order.
///
/// For TCP only in-sequence payload is passed (retransmissions and out-of-order segments are
/// not), so a parser sees each byte once; UDP datagrams are passed whole.
public protocol ApplicationAnalyzer: AnyObject {
    /// Payload of one packet of a flow. Returns the application recognised on the flow (or
    /// `.none`); the tracker records the first non-`.none` answer in ``ConnSummary/application``.
    /// Transactions are reported by the analyzer itself (it was given the sink at creation).
    func payload(_ bytes: UnsafeRawBufferPointer, flow: ApplicationFlowContext, fromOriginator: Bool,
                 timestampNanos: Int64) -> ApplicationProtocol

    /// The flow ends (or an interim report is made when `summary.isInterim`): fill the
    /// application fields of `summary` (`dnsQueryName`, `httpHost`, `tlsServerName`) and, when
    /// final, report pending transactions as unanswered and drop the flow's state.
    func flowEnded(_ flow: ApplicationFlowContext, summary: inout ConnSummary)
}
