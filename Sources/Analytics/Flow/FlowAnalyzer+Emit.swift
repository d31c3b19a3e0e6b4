import PacketDecoding

extension FlowAnalyzer {
    /// Builds the `conn` record of entry `index` as it stands.
    func summary(_ index: UInt32, reason: String, interim: Bool) -> ConnSummary {
        let e = UnsafePointer(table.entries + Int(index))
        let en = e.pointee
        let x = existingExtras(of: e)?.pointee
        let isICMP = en.transport == .icmp || en.transport == .icmpv6
        var s = ConnSummary(
            flowID: en.flowID, startNanos: en.startNanos, lastNanos: en.lastNanos,
            originator: en.originatorAddress, originatorPort: isICMP ? UInt16(en.icmpType) : en.originatorPort,
            responder: en.responderAddress, responderPort: isICMP ? UInt16(en.icmpCode) : en.responderPort,
            transport: en.transport, ipProtocol: en.key.ipProtocol,
            outerVLAN: en.key.outerVLAN, innerVLAN: en.key.innerVLAN, application: en.application,
            connState: connState(e), history: en.history.string, isInterim: interim, endReason: reason)
        s.tenant = TenantKey(rawValue: en.key.tenant)
        s.tunnel = tunnel(of: e)
        let o = counts(e, isOrig: true), r = counts(e, isOrig: false)
        s.originatorPackets = o.packets
        s.responderPackets = r.packets
        s.originatorBytes = o.bytes
        s.responderBytes = r.bytes
        s.originatorIPBytes = o.ipBytes
        s.responderIPBytes = r.ipBytes
        s.serverRTTNanos = en.serverRTTNanos
        s.clientRTTNanos = en.clientRTTNanos
        s.responseTimeNanos = responseTimeNanos(e)
        s.originatorRetransmissions = x?.originator.retransmissions ?? 0
        s.responderRetransmissions = x?.responder.retransmissions ?? 0
        s.originatorOutOfOrder = x?.originator.outOfOrder ?? 0
        s.responderOutOfOrder = x?.responder.outOfOrder ?? 0
        s.originatorZeroWindows = x?.originator.zeroWindows ?? 0
        s.responderZeroWindows = x?.responder.zeroWindows ?? 0
        s.icmpErrors = x?.icmpErrors ?? 0
        s.fragments = x?.fragments ?? 0
        (s.firstSegment, s.lastSegment) = segments(e)
        return s
    }

    /// The flow's first response time (-1: not measured).
    @inline(__always)
    func responseTimeNanos(_ e: UnsafePointer<FlowEntry>) -> Int64 {
        if e.pointee.flags.contains(.responseMeasured) { return e.pointee.requestOrResponseNanos }
        if e.pointee.flags.contains(.responseSpilled) { return existingExtras(of: e)?.pointee.spilledResponseTimeNanos ?? -1 }
        return -1
    }

    /// The originator sent payload (in sequence, for TCP) at `t`: the first request time is
    /// recorded, as long as none at a time ≥ 0 was.
    @inline(__always)
    func recordRequest(_ e: UnsafeMutablePointer<FlowEntry>, t: Int64) {
        guard !e.pointee.flags.contains(.requestSeen) else { return }
        if e.pointee.flags.contains(.responseMeasured) {
            // Only after a request at a negative time: the response time measured from it stays
            // what is reported until another response comes, so it moves aside.
            extras(of: e).pointee.spilledResponseTimeNanos = e.pointee.requestOrResponseNanos
            e.pointee.flags.remove(.responseMeasured)
            e.pointee.flags.insert(.responseSpilled)
        }
        e.pointee.requestOrResponseNanos = t
        if t >= 0 { e.pointee.flags.insert(.requestSeen) }
        e.pointee.flags.insert(.awaitingResponse)
    }

    /// The responder's first payload after a request: the response time.
    @inline(__always)
    func recordResponse(_ e: UnsafeMutablePointer<FlowEntry>, t: Int64) {
        guard e.pointee.flags.contains(.awaitingResponse) else { return }
        e.pointee.flags.remove(.awaitingResponse)
        e.pointee.requestOrResponseNanos = t &- e.pointee.requestOrResponseNanos
        e.pointee.flags.remove(.responseSpilled)
        e.pointee.flags.insert(.responseMeasured)
    }

    func connState(_ e: UnsafePointer<FlowEntry>) -> String {
        switch e.pointee.transport {
        case .tcp:
            return tcpConnState(e)
        case .udp, .sctp, .other, .icmp, .icmpv6:
            // Zeek's UDP rule, applied to every transport without connection setup.
            let o = counts(e, isOrig: true).packets > 0, r = counts(e, isOrig: false).packets > 0
            return o ? (r ? "SF" : "S0") : (r ? "SHR" : "OTH")
        }
    }

    /// The `.traffic` observation carrying the counters accumulated since the previous one.
    /// `final`: the flow ends, what was reported need not be remembered.
    func emitTraffic(_ index: UInt32, t: Int64, final: Bool) {
        let e = table.entries + Int(index)
        let toServer = counts(e, isOrig: true).bytes, toClient = counts(e, isOrig: false).bytes
        let old = existingExtras(of: e)?.pointee
        let retrans = (old?.originator.retransmissions ?? 0) &+ (old?.responder.retransmissions ?? 0)
        let dServer = toServer &- (old?.reportedBytesToServer ?? 0)
        let dClient = toClient &- (old?.reportedBytesToClient ?? 0)
        let dRetrans = retrans &- (old?.reportedRetransmissions ?? 0)
        guard dServer > 0 || dClient > 0 || dRetrans > 0 else { return }
        if !final {
            let x = extras(of: e)
            x.pointee.reportedBytesToServer = toServer
            x.pointee.reportedBytesToClient = toClient
            x.pointee.reportedRetransmissions = retrans
        }
        sink.observe(ServiceObservation(kind: .traffic, timeNanos: t, client: e.pointee.originatorAddress,
                                        service: e.pointee.service, application: e.pointee.application,
                                        bytesToServer: dServer, bytesToClient: dClient, retransmissions: dRetrans,
                                        tunnel: tunnel(of: e)))
    }

    /// Interim report on a long flow (it stays open).
    func emitInterim(_ index: UInt32, at t: Int64) {
        var s = summary(index, reason: "interim", interim: true)
        if let app = applicationAnalyzer { app.flowEnded(context(index), summary: &s) }
        emitTraffic(index, t: t, final: false)
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
        emitTraffic(index, t: t, final: true)
        sink.connection(s)
        if let x = existingExtras(of: e) { tunnels.release(x.pointee.tunnelSlot) }
        extraPool.release(e.pointee.extrasSlot)
        table.remove(index)
        budget?.give()
    }
}
