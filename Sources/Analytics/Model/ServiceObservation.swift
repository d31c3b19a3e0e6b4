import PacketDecoding

/// One fact the flow tracker learnt about a client's use of a service. The service-state machines
/// and the dependency-edge aggregator consume these; they never see packets.
///
/// A plain value (no references) so the flow tracker can hand it over without allocating.
public struct ServiceObservation: Sendable, Hashable {
    /// What happened.
    public enum Kind: UInt8, Sendable, Hashable {
        /// A connection attempt was seen (a TCP SYN from the client, or the first packet of a UDP
        /// flow). Exactly one of the outcomes below follows for TCP, in a later observation.
        case attempt
        /// The TCP handshake completed; ``latencyNanos`` is the server leg of the handshake RTT
        /// (SYN → SYN-ACK) as seen at the capture point.
        case established
        /// The attempt was refused: answered by a RST (or an ICMP unreachable for TCP/UDP).
        case refused
        /// The attempt got no answer within the unanswered-SYN timeout (TCP) or the flow's idle
        /// timeout (UDP request flows with no reply).
        case unanswered
        /// An established connection was reset (by either side).
        case reset
        /// An application transaction completed (DNS query/response, HTTP request/response, TLS
        /// handshake). ``latencyNanos`` is the response time, ``isError`` the outcome (DNS rcode
        /// other than NOERROR/NXDOMAIN, HTTP 5xx, TLS alert, or no response at all).
        case transaction
        /// Byte and retransmission counters accumulated since the flow's previous `traffic`
        /// observation (emitted at flow end and on interim reports).
        case traffic
    }

    public var kind: Kind
    /// Packet time of the event, nanoseconds since the Unix epoch.
    public var timeNanos: Int64
    /// The client's address.
    public var client: IPAddress
    /// The service used.
    public var service: ServiceKey
    /// Application recognised on the flow, if any.
    public var application: ApplicationProtocol
    /// RTT (``Kind/established``) or response time (``Kind/transaction``), in nanoseconds; -1 when
    /// not measured.
    public var latencyNanos: Int64
    /// Whether a transaction failed (``Kind/transaction`` only).
    public var isError: Bool
    /// Payload bytes client → server (``Kind/traffic``).
    public var bytesToServer: UInt64
    /// Payload bytes server → client (``Kind/traffic``).
    public var bytesToClient: UInt64
    /// Retransmitted segments, both directions (``Kind/traffic``).
    public var retransmissions: UInt32
    /// The tunnel of the flow the observation is about (its first packet's, oriented client →
    /// service); nil when untunnelled. Services and edges keep the first one they see.
    public var tunnel: TunnelSummary?

    public init(
        kind: Kind, timeNanos: Int64, client: IPAddress, service: ServiceKey,
        application: ApplicationProtocol = .none, latencyNanos: Int64 = -1, isError: Bool = false,
        bytesToServer: UInt64 = 0, bytesToClient: UInt64 = 0, retransmissions: UInt32 = 0,
        tunnel: TunnelSummary? = nil
    ) {
        self.tunnel = tunnel
        self.kind = kind
        self.timeNanos = timeNanos
        self.client = client
        self.service = service
        self.application = application
        self.latencyNanos = latencyNanos
        self.isError = isError
        self.bytesToServer = bytesToServer
        self.bytesToClient = bytesToClient
        self.retransmissions = retransmissions
    }
}
