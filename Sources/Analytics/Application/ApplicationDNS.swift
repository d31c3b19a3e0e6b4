import PacketDecoding
import AppProtocols

extension StandardApplicationAnalyzer {
    /// DNS over UDP (one message per datagram) or TCP (length-prefixed messages at the segment
    /// start, several per segment): queries wait by id, responses complete them.
    func dnsPayload(_ bytes: UnsafeRawBufferPointer, _ state: inout ApplicationFlowState, flow: ApplicationFlowContext,
                    fromOriginator: Bool, t: Int64) {
        var offset = 0
        var messages = 0
        while offset < bytes.count && messages < 64 {
            let slice = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            let status = flow.service.transport == .tcp
                ? DNSMessageParser.parseTCP(slice, into: &dns, name: nameBuffer)
                : DNSMessageParser.parse(slice, into: &dns, name: nameBuffer)
            guard status.hasHeader else { return }
            message(&state, flow: flow, t: t)
            messages += 1
            guard flow.service.transport == .tcp, dns.tcpFrameLength > 2 else { return }
            offset += dns.tcpFrameLength
        }
    }

    func message(_ state: inout ApplicationFlowState, flow: ApplicationFlowContext, t: Int64) {
        let header = dns.header
        if !header.isResponse {
            // A query whose id is already pending is a retransmission: the first one times it.
            if state.dnsPending.contains(where: { $0.id == header.id }) { return }
            let name = dns.hasQuestion ? dns.questionName.string(in: nameBuffer) : ""
            if state.dnsFirstName.isEmpty { state.dnsFirstName = name }
            if state.dnsPending.count >= ApplicationFlowState.maxPending {
                reportDNS(state.dnsPending.removeFirst(), flow: flow, header: nil, t: t)
            }
            state.dnsPending.append(PendingDNSQuery(id: header.id, nanos: t, name: name, type: dns.questionType))
        } else if let i = state.dnsPending.firstIndex(where: { $0.id == header.id }) {
            reportDNS(state.dnsPending.remove(at: i), flow: flow, header: header, t: t)
        }
    }

    /// Reports a DNS transaction; `header` nil means unanswered.
    func reportDNS(_ q: PendingDNSQuery, flow: ApplicationFlowContext, header: DNSHeader?, t: Int64) {
        let answered = header != nil
        let rcode = header.map { Int16($0.rcode) } ?? -1
        let isError = !answered || (rcode != 0 && rcode != 3)
        let latency: Int64 = answered ? t &- q.nanos : -1
        var s = TransactionSummary(flowID: flow.flowID, application: .dns, requestNanos: q.nanos,
                                   responseTimeNanos: latency, client: flow.client, clientPort: flow.clientPort,
                                   service: flow.service, isError: isError)
        s.tunnel = flow.tunnel
        s.dnsQueryName = q.name
        s.dnsQueryType = q.type
        s.dnsRcode = rcode
        s.dnsAnswerCount = header?.answerCount ?? 0
        sink.transaction(s)
        sink.observe(ServiceObservation(kind: .transaction, timeNanos: answered ? t : q.nanos, client: flow.client,
                                        service: flow.service, application: .dns, latencyNanos: latency, isError: isError, tunnel: flow.tunnel))
    }
}
