import AppProtocols

/// An HTTP request waiting for its response (FIFO: HTTP/1.x answers in request order, which
/// also pairs pipelined requests).
struct PendingHTTPRequest {
    var nanos: Int64
    var method: String
    var host: String
    var path: String
}

/// TLS handshake progress.
struct TLSHandshakeState {
    var clientHelloNanos: Int64 = -1
    var serverHelloNanos: Int64 = -1
    var serverName = ""
    var version: UInt16 = 0
    var alertLevel: UInt8 = 0
    var alertDescription: Int16 = -1
    /// The transaction was reported (at the first application data, an alert, or flow end).
    var reported = false
    /// Segments scanned after the hellos, bounded so long encrypted flows cost nothing.
    var scansLeft: UInt8 = 8
}

/// What the application analyzer keeps for one flow (only flows that carry payload).
struct ApplicationFlowState {
    var flowID: UInt64
    var application: ApplicationProtocol = .none
    /// Payloads inspected without recognising anything; detection stops after a few.
    var misses: UInt8 = 0
    var dns = DNSFlowState()
    var httpPending: [PendingHTTPRequest] = []
    var httpFirstHost = ""
    /// Body bytes still expected per direction (Content-Length), so body segments are not
    /// parsed as message starts; -1 when unknown (chunked: every segment is tried).
    var requestBodyLeft: Int64 = 0
    var responseBodyLeft: Int64 = 0
    var tls = TLSHandshakeState()

    init(flowID: UInt64) { self.flowID = flowID }

    /// Most pending DNS queries / HTTP requests kept per flow; older ones are reported unanswered.
    static let maxPending = 32
}
