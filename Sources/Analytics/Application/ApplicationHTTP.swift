import PacketDecoding
import AppProtocols

/// HTTP/1.x over the reassembled streams, paired as Zeek pairs them: requests queue in order and
/// each final response answers the oldest (pipelining); 1xx responses other than 101 are
/// informational and answer nothing; a HEAD request's response and 204/304 responses have no body;
/// bodies are framed by chunked coding, then Content-Length, else (responses only) by the close;
/// 101 and a 2xx answer to CONNECT end HTTP on the flow.
extension StandardApplicationAnalyzer {
    /// The originator's side: request messages and their bodies.
    func httpRequestStep(_ v: UnsafeRawBufferPointer, nanos t: Int64, truncated: Bool,
                         _ state: inout ApplicationFlowState, flow: ApplicationFlowContext) -> StreamStep {
        if let step = framingStep(v, truncated: truncated, phase: &state.httpRequestPhase) { return step }
        let status = HTTPMessageParser.parse(v, into: &http)
        if http.kind == .request && (status == .complete || (truncated && status == .headersIncomplete)) {
            queueRequest(PendingHTTPRequest(nanos: t, method: http.methodText.string(in: v), host: http.hostName.string(in: v),
                                            path: http.target.string(in: v), isHead: http.method == .head,
                                            isConnect: http.method == .connect), &state, flow: flow)
            guard status == .complete else { return .resync }
            if http.isChunked {
                state.httpRequestPhase = .chunkSize
                return .consumed(http.headerLength, skip: 0)
            }
            // A request without Content-Length or chunking has no body (RFC 9112 §6.3).
            return .consumed(http.headerLength, skip: max(0, http.contentLength))
        }
        if !truncated && (status == .headersIncomplete || status == .startLineIncomplete) { return .needMore }
        // A request the grammar refuses but the server will answer (usually 400).
        guard let lenient = HTTPLenientRequest.match(v) else { return .lost }
        if lenient.headerLength == 0 && !truncated { return .needMore }
        malformedHTTPRequests &+= 1
        queueRequest(PendingHTTPRequest(nanos: t, method: lenient.method.string(in: v),
                                        host: HTTPRequestHost.find(in: v, form: .messageParser).map { $0.string(in: v) } ?? "",
                                        path: ""), &state, flow: flow)
        return lenient.headerLength > 0 ? .consumed(lenient.headerLength, skip: 0) : .resync
    }

    /// The responder's side: responses, paired with the oldest pending request.
    func httpResponseStep(_ v: UnsafeRawBufferPointer, nanos t: Int64, truncated: Bool,
                          _ state: inout ApplicationFlowState, flow: ApplicationFlowContext) -> StreamStep {
        if let step = framingStep(v, truncated: truncated, phase: &state.httpResponsePhase) { return step }
        let status = HTTPMessageParser.parse(v, into: &http)
        guard http.kind == .response, status == .complete || status == .headersIncomplete else {
            if !truncated && status == .startLineIncomplete { return .needMore }
            return .lost
        }
        if status == .headersIncomplete && !truncated { return .needMore }
        let code = http.statusCode
        if code < 200 && code != 101 {
            // 100 Continue, 102, 103: the final response is still to come (no body either).
            informationalHTTPResponses &+= 1
            return status == .complete ? .consumed(http.headerLength, skip: 0) : .resync
        }
        let request = state.httpPending.first
        if request == nil {
            unpairedHTTPResponses &+= 1
        } else {
            reportHTTP(state.httpPending.removeFirst(), flow: flow, status: code, t: t)
        }
        if code == 101 || (request?.isConnect == true && code < 300) { return .finishedFlow }
        guard status == .complete else { return .resync }
        if request?.isHead == true || code == 204 || code == 304 { return .consumed(http.headerLength, skip: 0) }
        if http.isChunked {
            state.httpResponsePhase = .chunkSize
            return .consumed(http.headerLength, skip: 0)
        }
        if http.contentLength >= 0 { return .consumed(http.headerLength, skip: http.contentLength) }
        // The body runs to the close: no later message starts in this direction.
        return .finished
    }

    private func queueRequest(_ r: PendingHTTPRequest, _ state: inout ApplicationFlowState, flow: ApplicationFlowContext) {
        if state.httpFirstHost.isEmpty { state.httpFirstHost = r.host }
        if state.httpPending.count >= ApplicationFlowState.maxPending {
            reportHTTP(state.httpPending.removeFirst(), flow: flow, status: 0, t: r.nanos)
        }
        state.httpPending.append(r)
    }

    /// The step when no message starts here: inside chunked framing, or at empty lines before a
    /// message; nil when a message start is due.
    private func framingStep(_ v: UnsafeRawBufferPointer, truncated: Bool, phase: inout HTTPFramingPhase) -> StreamStep? {
        if phase != .messageStart { return chunkedStep(v, truncated: truncated, phase: &phase) }
        if let blank = Self.leadingLineEnds(v) { return .consumed(blank, skip: 0) }
        return nil
    }

    /// Empty lines before a message (RFC 9112 §2.2: a recipient ignores at least one): their
    /// length, or nil when the view does not start with CR or LF.
    static func leadingLineEnds(_ v: UnsafeRawBufferPointer) -> Int? {
        var n = 0
        while n < v.count, v[n] == 0x0D || v[n] == 0x0A { n += 1 }
        return n > 0 ? n : nil
    }

    /// Reports an HTTP transaction; `status` 0 means unanswered.
    func reportHTTP(_ r: PendingHTTPRequest, flow: ApplicationFlowContext, status: UInt16, t: Int64) {
        let answered = status != 0
        let isError = !answered || status >= 500
        let latency: Int64 = answered ? t &- r.nanos : -1
        var s = TransactionSummary(flowID: flow.flowID, application: .http, requestNanos: r.nanos,
                                   responseTimeNanos: latency, client: flow.client, clientPort: flow.clientPort,
                                   service: flow.service, isError: isError)
        s.tunnel = flow.tunnel
        s.httpMethod = r.method
        s.httpHost = r.host
        s.httpPath = r.path
        s.httpStatus = status
        sink.transaction(s)
        sink.observe(ServiceObservation(kind: .transaction, timeNanos: answered ? t : r.nanos, client: flow.client,
                                        service: flow.service, application: .http, latencyNanos: latency, isError: isError, tunnel: flow.tunnel))
    }
}
