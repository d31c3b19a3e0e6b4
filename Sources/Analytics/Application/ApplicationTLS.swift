import PacketDecoding
import AppProtocols

extension StandardApplicationAnalyzer {
    /// TLS over the reassembled stream, one record at a time: the handshake transaction runs from
    /// the ClientHello to the ServerHello (its response time); it is reported at the first
    /// application data or alert seen after it, or at flow end, so an alert ending the handshake
    /// marks it failed. Then nothing more is parsed on the flow.
    func tlsStep(_ v: UnsafeRawBufferPointer, truncated: Bool, fromOriginator: Bool,
                 _ state: inout ApplicationFlowState, flow: ApplicationFlowContext, t: Int64) -> StreamStep {
        guard !state.tls.reported else { return .finishedFlow }
        guard v.count >= TLSRecordHeader.size else { return truncated ? .lost : .needMore }
        let recordLength = TLSRecordHeader.size + (Int(v[3]) << 8 | Int(v[4]))
        // Only hellos are read whole; of other records the header (and an alert's two bytes, a
        // handshake message's type) is enough, and their bodies are skipped, never buffered.
        let type = v[0]
        var needed = TLSRecordHeader.size + (type == TLSRecordHeader.alert ? 2 : 1)
        if type == TLSRecordHeader.handshake {
            guard v.count > TLSRecordHeader.size else { return truncated ? .lost : .needMore }
            let message = v[TLSRecordHeader.size]
            if message == 1 || message == 2 { needed = recordLength }
        }
        needed = min(needed, recordLength)
        if v.count < needed && !truncated { return .needMore }
        let record = UnsafeRawBufferPointer(rebasing: v[0 ..< min(needed, v.count)])
        let status = TLSRecordScanner.scan(record, into: &tls)
        guard status != .notTLS && status != .empty && status != .sslv2Unsupported else { return .lost }
        // After its ChangeCipherSpec a side's handshake records are encrypted: not hellos.
        let encrypted = fromOriginator ? state.tls.originatorChangedCipher : state.tls.responderChangedCipher
        if tls.hasClientHello && !encrypted && state.tls.clientHelloNanos < 0 {
            state.tls.clientHelloNanos = t
            state.tls.serverName = tls.serverName.string(in: record)
            state.tls.version = tls.clientOfferedVersion
        }
        if tls.hasServerHello && !encrypted && state.tls.serverHelloNanos < 0 {
            state.tls.serverHelloNanos = t
            state.tls.version = tls.serverSelectedVersion
        }
        if tls.sawChangeCipherSpec {
            if fromOriginator { state.tls.originatorChangedCipher = true } else { state.tls.responderChangedCipher = true }
        }
        if tls.alert == .plaintext && state.tls.alertDescription < 0 {
            state.tls.alertLevel = tls.alertLevel
            state.tls.alertDescription = Int16(tls.alertDescription)
        }
        if state.tls.serverHelloNanos >= 0 {
            state.tls.scansLeft = state.tls.scansLeft > 0 ? state.tls.scansLeft - 1 : 0
        }
        if tls.sawApplicationData || tls.alert != .none || state.tls.scansLeft == 0 {
            reportTLS(&state, flow: flow)
            return .finishedFlow
        }
        return .consumed(record.count, skip: Int64(recordLength - record.count))
    }

    /// Reports the handshake transaction once.
    func reportTLS(_ state: inout ApplicationFlowState, flow: ApplicationFlowContext) {
        guard !state.tls.reported, state.tls.clientHelloNanos >= 0 else { return }
        state.tls.reported = true
        let h = state.tls
        let answered = h.serverHelloNanos >= 0
        let isError = !answered || h.alertLevel == 2
        let latency: Int64 = answered ? h.serverHelloNanos &- h.clientHelloNanos : -1
        var s = TransactionSummary(flowID: flow.flowID, application: .tls, requestNanos: h.clientHelloNanos,
                                   responseTimeNanos: latency, client: flow.client, clientPort: flow.clientPort,
                                   service: flow.service, isError: isError)
        s.tunnel = flow.tunnel
        s.tlsServerName = h.serverName
        s.tlsVersion = h.version
        s.tlsAlert = h.alertDescription
        sink.transaction(s)
        sink.observe(ServiceObservation(kind: .transaction, timeNanos: answered ? h.serverHelloNanos : h.clientHelloNanos,
                                        client: flow.client, service: flow.service, application: .tls,
                                        latencyNanos: latency, isError: isError, tunnel: flow.tunnel))
    }
}
