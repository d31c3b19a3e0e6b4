import PacketDecoding
import AppProtocols

/// DNS, HTTP/1.x and TLS transactions on top of the AppProtocols parsers.
///
/// Detection is by content: a flow is DNS when its service port is 53/5353/5355 and the payload
/// has a DNS header; HTTP when the originator's first payload is an HTTP/1.x request; TLS when it is
/// a ClientHello. After a few payloads without a match the flow is left alone. Per-flow state
/// (``ApplicationFlowState``, with the two TCP stream directions) lives in this analyzer's own side
/// table keyed by the flow's slot, not in the flow table: it is created only for flows with
/// payload, freed at flow end, and bounded by ``maxFlowStates`` (a flow that finds the table full
/// is tracked without application analysis, counted in ``flowStatesRefused``). Stream buffers
/// have their own caps (``StreamReassemblyConfig``). Strings are made only for fields that go into
/// records (once per transaction).
///
/// Single-threaded, like the ``FlowAnalyzer`` that drives it.
public final class StandardApplicationAnalyzer: ApplicationAnalyzer {
    let sink: any FlowEventSink
    var flows: [UInt32: ApplicationFlowState] = [:]
    /// Most flows with application state at once (``AnalyticsConfig/maxApplicationFlows``).
    public let maxFlowStates: Int
    /// Payloads (UDP datagrams, first TCP segments) of flows that found ``maxFlowStates`` states
    /// held: not analysed (a TCP flow is then left alone for good).
    public internal(set) var flowStatesRefused: UInt64 = 0
    /// Flows with application state now, and the most at once.
    public var flowStates: Int { flows.count }
    public internal(set) var peakFlowStates = 0
    /// Bytes of one flow's application state (a dictionary entry also holds its 4-byte key).
    public static var flowStateStride: Int { MemoryLayout<ApplicationFlowState>.stride }
    var dns = DNSSummary()
    var http = HTTPMessageStart()
    var tls = TLSSummary()
    /// HTTP responses seen with no pending request on their flow (the request predates the
    /// capture, or was lost in a hole); not reported as transactions.
    public internal(set) var unpairedHTTPResponses: UInt64 = 0
    /// 1xx responses other than 101 (informational: the final response follows); not transactions.
    public internal(set) var informationalHTTPResponses: UInt64 = 0
    /// Requests the HTTP/1.x grammar refuses (``HTTPLenientRequest``) but that were paired with
    /// the server's answer all the same.
    public internal(set) var malformedHTTPRequests: UInt64 = 0
    /// What the TCP stream reassembly did and gave up.
    public internal(set) var reassembly = StreamReassemblyCounters()
    /// The reassembly limits in force (``StreamReassemblyConfig/effective``).
    let limits: StreamReassemblyConfig
    /// Bytes the direction being worked on held when it was taken out of its flow's state.
    var streamBaseline = 0
    /// Set by ``detect(_:flow:fromOriginator:)`` when the bytes could still start HTTP once more
    /// arrive (a request line cut by the segment end).
    var detectionNeedsMore = false
    let nameBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: DNSMessageParser.nameBufferSize, alignment: 1)

    /// Payloads (message starts) looked at before a flow is declared "no known application".
    static let maxMisses: UInt8 = 4

    public init(sink: any FlowEventSink, reassembly: StreamReassemblyConfig = StreamReassemblyConfig(),
                maxFlowStates: Int = AnalyticsConfig().maxApplicationFlows) {
        self.sink = sink
        limits = reassembly.effective
        self.maxFlowStates = max(0, maxFlowStates)
    }

    /// Whether `flow` has, or may take, a state. Only at the cap is the table looked up twice; a
    /// refusal is counted.
    @inline(__always)
    func admits(_ flow: ApplicationFlowContext) -> Bool {
        if flows.count < maxFlowStates { return true }
        if flows.index(forKey: flow.slot) != nil { return true }
        flowStatesRefused &+= 1
        return false
    }

    /// Notes the number of states after one may have been made.
    @inline(__always)
    func notePeak() {
        if flows.count > peakFlowStates { peakFlowStates = flows.count }
    }

    deinit { nameBuffer.deallocate() }

    public func payload(_ bytes: UnsafeRawBufferPointer, flow: ApplicationFlowContext, fromOriginator: Bool,
                        timestampNanos t: Int64) -> ApplicationProtocol {
        guard admits(flow) else { return .none }
        // Modified in place in the dictionary: copying the state would retain its strings and arrays.
        defer { notePeak() }
        return analyze(bytes, &flows[flow.slot, default: ApplicationFlowState(flowID: flow.flowID)], flow: flow,
                       fromOriginator: fromOriginator, t: t)
    }

    private func analyze(_ bytes: UnsafeRawBufferPointer, _ state: inout ApplicationFlowState, flow: ApplicationFlowContext,
                         fromOriginator: Bool, t: Int64) -> ApplicationProtocol {
        if state.flowID != flow.flowID {
            releaseStreams(&state)
            state = ApplicationFlowState(flowID: flow.flowID)
        }
        if state.application == .none {
            guard state.misses < Self.maxMisses else { return .none }
            state.application = detect(bytes, flow: flow, fromOriginator: fromOriginator)
            if state.application == .none {
                state.misses &+= 1
                return .none
            }
        }
        // Datagrams: only DNS is recognised over UDP (HTTP and TLS are TCP, see `segment`).
        if state.application == .dns { dnsPayload(bytes, &state, flow: flow, fromOriginator: fromOriginator, t: t) }
        return state.application
    }

    public func flowEnded(_ flow: ApplicationFlowContext, summary: inout ConnSummary) {
        if summary.isInterim {
            // Read in place: the flow goes on.
            guard let index = flows.index(forKey: flow.slot), flows.values[index].flowID == flow.flowID else { return }
            summary.dnsQueryName = flows.values[index].dns.firstName
            summary.httpHost = flows.values[index].httpFirstHost
            summary.tlsServerName = flows.values[index].tls.serverName
            return
        }
        // Taken out (not copied): the state ends with the flow.
        guard var state = flows.removeValue(forKey: flow.slot) else { return }
        guard state.flowID == flow.flowID else {
            releaseStreams(&state)  // left by an earlier flow of the slot
            return
        }
        // At the end, what is held across holes still yields its transactions.
        flushStreams(&state, flow: flow)
        summary.dnsQueryName = state.dns.firstName
        summary.httpHost = state.httpFirstHost
        summary.tlsServerName = state.tls.serverName
        let t = summary.lastNanos
        for q in state.dns.queries where q.isAwaitingResponse { reportDNS(q, flow: flow, header: nil, t: t) }
        for r in state.httpPending { reportHTTP(r, flow: flow, status: 0, t: t) }
        if state.application == .tls { reportTLS(&state, flow: flow) }
    }

    /// Which application the payload starts, if any.
    func detect(_ bytes: UnsafeRawBufferPointer, flow: ApplicationFlowContext, fromOriginator: Bool) -> ApplicationProtocol {
        let port = flow.service.port
        if port == 53 || port == 5353 || port == 5355 {
            let status = flow.service.transport == .tcp
                ? DNSMessageParser.parseTCP(bytes, into: &dns, name: nameBuffer)
                : DNSMessageParser.parse(bytes, into: &dns, name: nameBuffer)
            // On a DNS port a readable header is enough: a malformed question still gets an
            // answer (often an error rcode) that belongs to the service's record.
            return status.hasHeader ? .dns : .none
        }
        detectionNeedsMore = false
        guard flow.service.transport == .tcp else { return .none }
        let h = HTTPMessageParser.parse(bytes, into: &http)
        let started = h == .complete || h == .headersIncomplete || h == .startLineIncomplete
        // A response also identifies HTTP (its request may predate the capture).
        if started && http.kind == (fromOriginator ? .request : .response) { return .http }
        guard fromOriginator else { return .none }
        if TLSRecordScanner.scan(bytes, into: &tls) != .notTLS, tls.hasClientHello { return .tls }
        // A request the grammar refuses that a server would still answer (`OPTIONS` alone, `GET/`).
        if HTTPLenientRequest.match(bytes) != nil { return .http }
        detectionNeedsMore = h == .startLineIncomplete
        return .none
    }
}
