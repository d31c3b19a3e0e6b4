import PacketDecoding
import AppProtocols

extension StandardApplicationAnalyzer {
    /// DNS over UDP: one message per datagram. (Over TCP the reassembled stream is framed by
    /// `dnsStreamStep`.) Queries wait by id and question, every response is an outcome
    /// (``DNSFlowState`` has the rules).
    func dnsPayload(_ bytes: UnsafeRawBufferPointer, _ state: inout ApplicationFlowState, flow: ApplicationFlowContext,
                    fromOriginator: Bool, t: Int64) {
        guard DNSMessageParser.parse(bytes, into: &dns, name: nameBuffer).hasHeader else { return }
        message(DNSMessageCopy(bytes, nanos: t), &state.dns, flow: flow)
    }

    func message(_ copy: DNSMessageCopy, _ state: inout DNSFlowState, flow: ApplicationFlowContext) {
        let id = dns.header.id
        let question = questionHash()
        let t = copy.nanos
        if !dns.header.isResponse {
            if let i = state.queries.firstIndex(where: { $0.id == id && $0.questionHash == question }) {
                if state.queries[i].lastQuery.isCopy(copy) { return }
                if t &- state.queries[i].lastSentNanos <= DNSFlowState.retransmissionWindowNanos {
                    state.queries[i].retransmitted(copy)
                    return
                }
                // Too long after: a new lookup reusing the id; the old one is over.
                let old = state.queries.remove(at: i)
                if old.isAwaitingResponse { reportDNS(old, flow: flow, header: nil, t: t) }
            }
            let name = dns.hasQuestion ? dns.questionName.string(in: nameBuffer) : ""
            if state.firstName.isEmpty { state.firstName = name }
            if state.queries.count >= ApplicationFlowState.maxPending {
                let old = state.queries.remove(at: state.queries.firstIndex { !$0.isAwaitingResponse } ?? 0)
                if old.isAwaitingResponse { reportDNS(old, flow: flow, header: nil, t: t) }
            }
            state.queries.append(PendingDNSQuery(id: id, questionHash: question, name: name, type: dns.questionType,
                                                 unansweredSinceNanos: t, lastSentNanos: t, lastQuery: copy))
            return
        }
        // A response with no query of its id in the flow (sent before the capture, or evicted)
        // has no request to time: not an outcome.
        guard let i = state.queryAnswered(id: id, question: dns.hasQuestion ? question : nil) else { return }
        if state.queries[i].lastResponse.isCopy(copy) { return }
        reportDNS(state.queries[i], flow: flow, header: dns.header, t: t)
        state.queries[i].answered(copy)
    }

    /// ``FNV1a`` of the current message's first question (name as parsed: lowercased; class
    /// without the mDNS unicast-response bit, which a response does not echo), 0 without one.
    private func questionHash() -> UInt64 {
        let span = dns.questionName
        guard dns.hasQuestion, span.offset >= 0, span.length >= 0, span.offset <= nameBuffer.count - span.length else { return 0 }
        let name = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(nameBuffer)[span.offset ..< span.offset + span.length])
        return FNV1a.hash(dns.questionClass & 0x7FFF, from: FNV1a.hash(dns.questionType, from: FNV1a.hash(name)))
    }

    /// Reports one outcome of a DNS query: `header` is the response's, nil when unanswered (then
    /// the request time is the first unanswered transmission; else the latest one before the
    /// response, which the latency is measured from).
    func reportDNS(_ q: PendingDNSQuery, flow: ApplicationFlowContext, header: DNSHeader?, t: Int64) {
        let answered = header != nil
        let rcode = header.map { Int16($0.rcode) } ?? -1
        let isError = !answered || (rcode != 0 && rcode != 3)
        let requestNanos = answered ? q.lastSentNanos : q.unansweredSinceNanos
        let latency: Int64 = answered ? t &- requestNanos : -1
        var s = TransactionSummary(flowID: flow.flowID, application: .dns, requestNanos: requestNanos,
                                   responseTimeNanos: latency, client: flow.client, clientPort: flow.clientPort,
                                   service: flow.service, isError: isError)
        s.tunnel = flow.tunnel
        s.retries = q.retries
        s.dnsQueryName = q.name
        s.dnsQueryType = q.type
        s.dnsRcode = rcode
        s.dnsAnswerCount = header?.answerCount ?? 0
        sink.transaction(s)
        sink.observe(ServiceObservation(kind: .transaction, timeNanos: answered ? t : requestNanos, client: flow.client,
                                        service: flow.service, application: .dns, latencyNanos: latency, isError: isError, tunnel: flow.tunnel))
    }
}
