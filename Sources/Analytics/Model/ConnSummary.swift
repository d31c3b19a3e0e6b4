import PacketDecoding

/// The body of a `conn` record: one bidirectional flow, final (at its end) or interim (periodic
/// report on a long flow). Field names follow Zeek's conn.log where one exists.
///
/// "Originator" is the side that sent the first packet (for TCP, the SYN sender when the SYN was
/// seen); "responder" the other side, i.e. the service.
public struct ConnSummary: Sendable, Hashable {
    /// Stable id of the flow within this agent's epoch (rendered as hex `uid` in records).
    public var flowID: UInt64
    /// Packet time of the flow's first packet, ns since the Unix epoch.
    public var startNanos: Int64
    /// Packet time of the last packet seen so far.
    public var lastNanos: Int64
    public var originator: IPAddress
    public var originatorPort: UInt16
    public var responder: IPAddress
    public var responderPort: UInt16
    public var transport: FlowTransport
    /// IP protocol number (useful when ``transport`` is `.other`).
    public var ipProtocol: UInt8
    /// Outer and inner VLAN ids; 0 = untagged.
    public var outerVLAN: UInt16
    public var innerVLAN: UInt16
    public var application: ApplicationProtocol

    /// Zeek `conn_state` (`S0`, `S1`, `SF`, `REJ`, `S2`, `S3`, `RSTO`, `RSTR`, `RSTOS0`, `RSTRH`, `SH`,
    /// `SHR`, `OTH`); for UDP/ICMP/other `S0` (originator only), `SF` (both sides), or `SHR`
    /// (responder only: a reply whose request was not seen).
    public var connState: String
    /// Zeek history string (`ShADadFf`, upper case = originator, lower case = responder).
    public var history: String
    /// Whether this is an interim report (the flow is still open).
    public var isInterim: Bool
    /// Why the flow ended: `"fin"`, `"rst"`, `"timeout"`, `"evicted"`, `"reused"` (a new SYN with
    /// another ISN on the same 5-tuple started a new connection), `"shutdown"`, or `"interim"`.
    public var endReason: String

    public var originatorPackets: UInt64
    public var responderPackets: UInt64
    /// Payload bytes (as declared on the wire, so snaplen does not shrink them).
    public var originatorBytes: UInt64
    public var responderBytes: UInt64
    /// IP-level bytes (IP header + payload), like Zeek's `orig_ip_bytes`.
    public var originatorIPBytes: UInt64
    public var responderIPBytes: UInt64

    /// Handshake RTT legs, ns; -1 when not measured. Server leg: SYN → SYN-ACK; client leg:
    /// SYN-ACK → ACK. Their sum is tshark's `tcp.analysis.initial_rtt`.
    public var serverRTTNanos: Int64
    public var clientRTTNanos: Int64
    /// First application response time (request's first byte → response's first byte), ns; -1 if none.
    public var responseTimeNanos: Int64
    public var originatorRetransmissions: UInt32
    public var responderRetransmissions: UInt32
    public var originatorOutOfOrder: UInt32
    public var responderOutOfOrder: UInt32
    public var originatorZeroWindows: UInt32
    public var responderZeroWindows: UInt32
    /// ICMP errors attributed to this flow (an unreachable quoting it).
    public var icmpErrors: UInt32
    /// Packets of this flow that were IP fragments.
    public var fragments: UInt32

    /// Application summary (empty when not seen).
    public var dnsQueryName: String
    public var httpHost: String
    public var tlsServerName: String

    /// Store segments holding the flow's packets: ids `firstSegment...lastSegment` (a flow's
    /// packets are stored in consecutive segments); -1 when the packets were not stored.
    public var firstSegment: Int64
    public var lastSegment: Int64

    /// The tenant the flow was keyed with (part of ``service``); ``TenantKey/none`` when untunnelled.
    public var tenant: TenantKey = .none
    /// The tunnel of the flow's first packet, oriented like the record; nil when untunnelled.
    public var tunnel: TunnelSummary? = nil

    public init(flowID: UInt64 = 0, startNanos: Int64 = 0, lastNanos: Int64 = 0,
                originator: IPAddress = .zero, originatorPort: UInt16 = 0,
                responder: IPAddress = .zero, responderPort: UInt16 = 0,
                transport: FlowTransport = .other, ipProtocol: UInt8 = 0,
                outerVLAN: UInt16 = 0, innerVLAN: UInt16 = 0, application: ApplicationProtocol = .none,
                connState: String = "OTH", history: String = "", isInterim: Bool = false,
                endReason: String = "timeout") {
        self.flowID = flowID
        self.startNanos = startNanos
        self.lastNanos = lastNanos
        self.originator = originator
        self.originatorPort = originatorPort
        self.responder = responder
        self.responderPort = responderPort
        self.transport = transport
        self.ipProtocol = ipProtocol
        self.outerVLAN = outerVLAN
        self.innerVLAN = innerVLAN
        self.application = application
        self.connState = connState
        self.history = history
        self.isInterim = isInterim
        self.endReason = endReason
        originatorPackets = 0; responderPackets = 0
        originatorBytes = 0; responderBytes = 0
        originatorIPBytes = 0; responderIPBytes = 0
        serverRTTNanos = -1; clientRTTNanos = -1; responseTimeNanos = -1
        originatorRetransmissions = 0; responderRetransmissions = 0
        originatorOutOfOrder = 0; responderOutOfOrder = 0
        originatorZeroWindows = 0; responderZeroWindows = 0
        icmpErrors = 0; fragments = 0
        dnsQueryName = ""; httpHost = ""; tlsServerName = ""
        firstSegment = -1; lastSegment = -1
    }

    /// The service this flow used (its responder side).
    public var service: ServiceKey {
        ServiceKey(address: responder, port: responderPort, transport: transport, tenant: tenant)
    }
}
