import PacketDecoding
import AppProtocols

extension StandardApplicationAnalyzer {
    /// HTTP/1.x: requests queue in order, each response (1xx excepted) answers the oldest; several
    /// messages in one segment (pipelining) are walked using header and Content-Length lengths.
    func httpPayload(_ bytes: UnsafeRawBufferPointer, _ state: inout ApplicationFlowState, flow: ApplicationFlowContext,
                     fromOriginator: Bool, t: Int64) {
        var offset = 0
        // Skip the rest of a body announced by Content-Length.
        var left = fromOriginator ? state.requestBodyLeft : state.responseBodyLeft
        if left > 0 {
            let skip = min(left, Int64(bytes.count))
            left -= skip
            offset = Int(skip)
        }
        var messages = 0
        while offset < bytes.count && messages < 32 {
            let status = HTTPMessageParser.parse(UnsafeRawBufferPointer(rebasing: bytes[offset...]), into: &http)
            guard status == .complete || status == .headersIncomplete || status == .startLineIncomplete else { break }
            let base = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            if fromOriginator && http.kind == .request {
                let host = http.hostName.string(in: base)
                if state.httpFirstHost.isEmpty { state.httpFirstHost = host }
                if state.httpPending.count >= ApplicationFlowState.maxPending {
                    reportHTTP(state.httpPending.removeFirst(), flow: flow, status: 0, t: t)
                }
                let method = http.methodText.string(in: base)
                state.httpPending.append(PendingHTTPRequest(nanos: t, method: method, host: host,
                                                            path: http.target.string(in: base)))
            } else if !fromOriginator && http.kind == .response && http.statusCode >= 200 {
                if state.httpPending.isEmpty {
                    unpairedHTTPResponses &+= 1
                } else {
                    reportHTTP(state.httpPending.removeFirst(), flow: flow, status: http.statusCode, t: t)
                }
            }
            messages += 1
            // A request without Content-Length or chunking has no body (RFC 9112 §6.3); a
            // response without them runs to the close, so nothing after it is a message start.
            let bodyLength = http.contentLength >= 0 ? http.contentLength : (http.kind == .request ? 0 : -1)
            guard status == .complete, bodyLength >= 0, !http.isChunked else {
                left = 0
                break
            }
            let next = Int64(offset) + Int64(http.headerLength) + bodyLength
            if next > Int64(bytes.count) {
                left = next - Int64(bytes.count)
                break
            }
            left = 0
            offset = Int(next)
        }
        if fromOriginator { state.requestBodyLeft = left } else { state.responseBodyLeft = left }
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
