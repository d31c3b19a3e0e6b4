import PacketDecoding

/// The body of a `txn` record: one application transaction (a DNS query and its response, an HTTP
/// request and its response, a TLS handshake).
public struct TransactionSummary: Sendable, Hashable {
    /// The flow it belongs to (``ConnSummary/flowID``).
    public var flowID: UInt64
    public var application: ApplicationProtocol
    /// Packet time of the request's first byte, ns since the Unix epoch.
    public var requestNanos: Int64
    /// Response time (request's first byte → response's first byte), ns; -1 when unanswered.
    public var responseTimeNanos: Int64
    public var client: IPAddress
    public var clientPort: UInt16
    public var service: ServiceKey
    /// Whether it failed: unanswered, DNS rcode other than NOERROR (0) / NXDOMAIN (3), HTTP 5xx,
    /// TLS alert of level fatal.
    public var isError: Bool

    /// Requests retransmitted since the previous outcome of the same request (DNS: queries sent
    /// again with the same id and question), so summing it over transactions counts each
    /// retransmission once. 0 for HTTP and TLS.
    public var retries: UInt16 = 0

    // DNS
    public var dnsQueryName: String = ""
    public var dnsQueryType: UInt16 = 0
    /// -1 when unanswered.
    public var dnsRcode: Int16 = -1
    public var dnsAnswerCount: UInt16 = 0

    // HTTP
    public var httpMethod: String = ""
    public var httpHost: String = ""
    public var httpPath: String = ""
    /// 0 when no response.
    public var httpStatus: UInt16 = 0

    // TLS
    public var tlsServerName: String = ""
    /// Negotiated version (e.g. 0x0303 TLS 1.2, 0x0304 TLS 1.3); 0 when unknown.
    public var tlsVersion: UInt16 = 0
    /// Alert description code, -1 when none.
    public var tlsAlert: Int16 = -1

    /// The flow's tunnel (its first packet's, oriented client → service); nil when untunnelled.
    public var tunnel: TunnelSummary? = nil

    public init(flowID: UInt64, application: ApplicationProtocol, requestNanos: Int64,
                responseTimeNanos: Int64, client: IPAddress, clientPort: UInt16,
                service: ServiceKey, isError: Bool) {
        self.flowID = flowID
        self.application = application
        self.requestNanos = requestNanos
        self.responseTimeNanos = responseTimeNanos
        self.client = client
        self.clientPort = clientPort
        self.service = service
        self.isError = isError
    }
}
