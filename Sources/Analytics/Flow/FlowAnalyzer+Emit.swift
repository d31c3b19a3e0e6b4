import PacketDecoding

extension FlowAnalyzer {
    /// Builds the `conn` record of entry `index` as it stands.
    func summary(_ index: UInt32, reason: String, interim: Bool) -> ConnSummary {
        let e = UnsafePointer(table.entries + Int(index))
        let en = e.pointee
        let isICMP = en.transport == .icmp || en.transport == .icmpv6
        var s = ConnSummary(
            flowID: en.flowID, startNanos: en.startNanos, lastNanos: en.lastNanos,
            originator: en.originatorAddress, originatorPort: isICMP ? UInt16(en.icmpType) : en.originatorPort,
            responder: en.responderAddress, responderPort: isICMP ? UInt16(en.icmpCode) : en.responderPort,
            transport: en.transport, ipProtocol: en.key.ipProtocol,
            outerVLAN: en.key.outerVLAN, innerVLAN: en.key.innerVLAN, application: en.application,
            connState: connState(e), history: en.history.string, isInterim: interim, endReason: reason)
        s.tenant = TenantKey(rawValue: en.key.tenant)
        s.tunnel = tunnels.tunnel(en.tunnelSlot)
        s.originatorPackets = en.originator.packets
        s.responderPackets = en.responder.packets
        s.originatorBytes = en.originator.bytes
        s.responderBytes = en.responder.bytes
        s.originatorIPBytes = en.originator.ipBytes
        s.responderIPBytes = en.responder.ipBytes
        s.serverRTTNanos = en.serverRTTNanos
        s.clientRTTNanos = en.clientRTTNanos
        s.responseTimeNanos = en.responseTimeNanos
        s.originatorRetransmissions = en.originator.retransmissions
        s.responderRetransmissions = en.responder.retransmissions
        s.originatorOutOfOrder = en.originator.outOfOrder
        s.responderOutOfOrder = en.responder.outOfOrder
        s.originatorZeroWindows = en.originator.zeroWindows
        s.responderZeroWindows = en.responder.zeroWindows
        s.icmpErrors = en.icmpErrors
        s.fragments = en.fragments
        s.firstSegment = en.firstSegment
        s.lastSegment = en.lastSegment
        return s
    }

    func connState(_ e: UnsafePointer<FlowEntry>) -> String {
        switch e.pointee.transport {
        case .tcp:
            return tcpConnState(e)
        case .udp, .sctp, .other, .icmp, .icmpv6:
            // Zeek's UDP rule, applied to every transport without connection setup.
            let o = e.pointee.originator.packets > 0, r = e.pointee.responder.packets > 0
            return o ? (r ? "SF" : "S0") : (r ? "SHR" : "OTH")
        }
    }

    /// The `.traffic` observation carrying the counters accumulated since the previous one.
    func emitTraffic(_ index: UInt32, t: Int64) {
        let e = table.entries + Int(index)
        let toServer = e.pointee.originator.bytes, toClient = e.pointee.responder.bytes
        let retrans = e.pointee.originator.retransmissions &+ e.pointee.responder.retransmissions
        let dServer = toServer &- e.pointee.reportedBytesToServer
        let dClient = toClient &- e.pointee.reportedBytesToClient
        let dRetrans = retrans &- e.pointee.reportedRetransmissions
        guard dServer > 0 || dClient > 0 || dRetrans > 0 else { return }
        e.pointee.reportedBytesToServer = toServer
        e.pointee.reportedBytesToClient = toClient
        e.pointee.reportedRetransmissions = retrans
        sink.observe(ServiceObservation(kind: .traffic, timeNanos: t, client: e.pointee.originatorAddress,
                                        service: e.pointee.service, application: e.pointee.application,
                                        bytesToServer: dServer, bytesToClient: dClient, retransmissions: dRetrans,
                                        tunnel: tunnels.tunnel(e.pointee.tunnelSlot)))
    }

    /// Interim report on a long flow (it stays open).
    func emitInterim(_ index: UInt32, at t: Int64) {
        var s = summary(index, reason: "interim", interim: true)
        if let app = applicationAnalyzer { app.flowEnded(context(index), summary: &s) }
        emitTraffic(index, t: t)
        sink.connection(s)
    }

    /// Ends a flow: owed attempt outcome (`.unanswered`), last traffic delta, final record; then
    /// frees its entry. The time of those is the due time of the timeout firing it
    /// (``eventNanos``), else the current packet time.
    func endFlow(_ index: UInt32, reason: String) {
        let e = table.entries + Int(index)
        let at = eventNanos != .min ? eventNanos : nowNanos
        let t = max(e.pointee.lastNanos, at == .min ? e.pointee.lastNanos : at)
        if e.pointee.flags.contains(.attemptPending) {
            e.pointee.flags.remove(.attemptPending)
            observe(.unanswered, e, t: t)
        }
        var s = summary(index, reason: reason, interim: false)
        if let app = applicationAnalyzer { app.flowEnded(context(index), summary: &s) }
        emitTraffic(index, t: t)
        sink.connection(s)
        tunnels.release(e.pointee.tunnelSlot)
        table.remove(index)
        budget?.give()
    }
}
