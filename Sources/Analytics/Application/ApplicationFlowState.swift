import AppProtocols

/// An HTTP request waiting for its response (FIFO: HTTP/1.x answers in request order, which
/// also pairs pipelined requests).
struct PendingHTTPRequest {
    var nanos: Int64
    var method: String
    var host: String
    var path: String
    /// A HEAD request's response has no body; a CONNECT answered 2xx turns the flow into a tunnel.
    var isHead = false
    var isConnect = false
}

/// Where an HTTP/1.x direction is between message starts (RFC 9112 §7.1 chunked framing).
enum HTTPFramingPhase: UInt8 {
    /// The next byte starts a message (request or status line).
    case messageStart
    /// A chunk-size line is due.
    case chunkSize
    /// The CRLF after a chunk's data is due.
    case chunkEnd
    /// Trailer lines after the last chunk, up to an empty line.
    case trailers
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
    /// Records scanned after the ServerHello, bounded so long encrypted flows cost nothing.
    var scansLeft: UInt8 = 8
    /// A ChangeCipherSpec was seen from the originator / responder: its later handshake records
    /// are encrypted and not parsed as hellos.
    var originatorChangedCipher = false
    var responderChangedCipher = false
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
    var httpRequestPhase = HTTPFramingPhase.messageStart
    var httpResponsePhase = HTTPFramingPhase.messageStart
    var tls = TLSHandshakeState()
    /// The TCP byte streams, reassembled for the parsers.
    var originatorStream = TCPStreamDirection()
    var responderStream = TCPStreamDirection()
    /// Neither direction is parsed any more (no application recognised, TLS handshake reported,
    /// protocol switched): later segments are ignored at once.
    var streamsFinished = false

    init(flowID: UInt64) { self.flowID = flowID }

    /// Most pending DNS queries / HTTP requests kept per flow; older ones are reported unanswered.
    static let maxPending = 32
}
