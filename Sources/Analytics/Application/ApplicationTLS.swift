import PacketDecoding
import AppProtocols

extension StandardApplicationAnalyzer {
    /// TLS: the handshake transaction runs from the ClientHello to the ServerHello (its
    /// response time); it is reported at the first application data or alert seen after it, or
    /// at flow end, so an alert ending the handshake marks it failed.
    func tlsPayload(_ bytes: UnsafeRawBufferPointer, _ state: inout ApplicationFlowState, flow: ApplicationFlowContext,
                    fromOriginator: Bool, t: Int64) {
        guard !state.tls.reported else { return }
        let status = TLSRecordScanner.scan(bytes, into: &tls)
        guard status != .notTLS && status != .empty else { return }
        if tls.hasClientHello && state.tls.clientHelloNanos < 0 {
            state.tls.clientHelloNanos = t
            state.tls.serverName = tls.serverName.string(in: bytes)
            state.tls.version = tls.clientOfferedVersion
        }
        if tls.hasServerHello && state.tls.serverHelloNanos < 0 {
            state.tls.serverHelloNanos = t
            state.tls.version = tls.serverSelectedVersion
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
        }
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
