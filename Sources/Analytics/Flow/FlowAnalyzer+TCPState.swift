import PacketDecoding

extension FlowAnalyzer {
    /// Zeek's history letters: S h A D F R once per direction, except S/H, F and R which repeat
    /// when their sequence number changes; I (FIN+RST) and Q (other flag combinations) once;
    /// T and W logarithmically (at the 1st, 10th, 100th… occurrence). Upper case = originator.
    @inline(__always)
    func history(_ e: UnsafeMutablePointer<FlowEntry>, isOrig: Bool, syn: Bool, fin: Bool, rst: Bool, ack: Bool,
                 len: Int, seq: UInt32) {
        let bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0)
        if bits > 1 {
            once(e, isOrig: isOrig, fin && rst ? UInt8(ascii: "I") : UInt8(ascii: "Q"))
        } else if syn {
            let letter = ack ? UInt8(ascii: "H") : UInt8(ascii: "S")
            let first = !seen(e, isOrig: isOrig, letter)
            let last = isOrig ? e.pointee.originator.lastSYNSeq : e.pointee.responder.lastSYNSeq
            if first || last != seq { add(e, isOrig: isOrig, letter) }
            withEndpoint(e, isOrig) { $0.lastSYNSeq = seq }
        } else if fin {
            let first = !seen(e, isOrig: isOrig, UInt8(ascii: "F"))
            let last = withEndpointExtras(e, isOrig) { x in
                defer { x.lastFINSeq = seq }
                return x.lastFINSeq
            }
            if first || last != seq { add(e, isOrig: isOrig, UInt8(ascii: "F")) }
        } else if rst {
            let first = !seen(e, isOrig: isOrig, UInt8(ascii: "R"))
            let last = withEndpointExtras(e, isOrig) { x in
                defer { x.lastRSTSeq = seq }
                return x.lastRSTSeq
            }
            if first || last != seq { add(e, isOrig: isOrig, UInt8(ascii: "R")) }
        }
        if len > 0 && !rst {
            once(e, isOrig: isOrig, UInt8(ascii: "D"))
        } else if bits == 0 && ack {
            once(e, isOrig: isOrig, UInt8(ascii: "A"))
        }
    }

    @inline(__always)
    func seen(_ e: UnsafeMutablePointer<FlowEntry>, isOrig: Bool, _ upper: UInt8) -> Bool {
        let bit = UInt32(1) << UInt32(upper &- UInt8(ascii: "A"))
        return (isOrig ? e.pointee.originator.lettersSeen : e.pointee.responder.lettersSeen) & bit != 0
    }

    /// Appends `upper` (lower-cased for the responder) and marks it seen.
    @inline(__always)
    func add(_ e: UnsafeMutablePointer<FlowEntry>, isOrig: Bool, _ upper: UInt8) {
        let bit = UInt32(1) << UInt32(upper &- UInt8(ascii: "A"))
        withEndpoint(e, isOrig) { $0.lettersSeen |= bit }
        e.pointee.history.append(isOrig ? upper : upper | 0x20)
    }

    @inline(__always)
    func once(_ e: UnsafeMutablePointer<FlowEntry>, isOrig: Bool, _ upper: UInt8) {
        if !seen(e, isOrig: isOrig, upper) { add(e, isOrig: isOrig, upper) }
    }

    /// T / W at the 1st, 10th, 100th… retransmission or zero-window packet of the direction.
    func logLetter(_ e: UnsafeMutablePointer<FlowEntry>, isOrig: Bool, letter: UInt8, isRetransmit: Bool) {
        let record: Bool = withEndpointExtras(e, isOrig) { ep in
            let count = isRetransmit ? ep.retransmissions : ep.zeroWindows
            let mark = isRetransmit ? ep.nextRetransmitMark : ep.nextZeroWindowMark
            guard count >= mark else { return false }
            let (next, overflow) = mark.multipliedReportingOverflow(by: 10)
            if isRetransmit { ep.nextRetransmitMark = overflow ? .max : next } else { ep.nextZeroWindowMark = overflow ? .max : next }
            return true
        }
        if record { e.pointee.history.append(isOrig ? letter : letter | 0x20) }
    }

    /// Zeek's endpoint state machine (TCP_Analyzer::UpdateStateMachine, simplified to the
    /// transitions that decide `conn_state`).
    func updateState(_ e: UnsafeMutablePointer<FlowEntry>, isOrig: Bool, syn: Bool, fin: Bool, rst: Bool, ack: Bool, len: Int) {
        var me = isOrig ? e.pointee.originator : e.pointee.responder
        var peer = isOrig ? e.pointee.responder : e.pointee.originator
        switch me.state {
        case .inactive:
            if syn {
                if isOrig {
                    me.setState(ack ? .synAckSent : .synSent)
                } else {
                    if peer.state == .synSent { peer.setState(.established) }
                    me.setState(.established)
                }
            }
            if fin { me.setState(.closed) }
            if rst { me.setState(.reset) }
            if me.state == .inactive {
                if !isOrig && len == 0 && peer.state == .synSent {
                    // An ACK of the SYN before the SYN-ACK (some stacks): not a partial connection.
                } else if ack && peer.state == .established {
                    me.setState(.established)
                } else {
                    me.setState(.partial)
                }
            }
        case .synSent, .synAckSent:
            if fin { me.setState(.closed) }
            // The originator becomes established when the responder's SYN-ACK arrives (above).
            if rst { me.setState(.reset) }
        case .established, .partial:
            if syn && me.state == .partial && peer.state == .inactive && !ack { me.setState(.synSent) }
            if fin && !rst {
                me.setState(.closed)
                if peer.state == .reset && peer.previousState == .closed { peer.setState(.closed) }
            }
            if rst { me.setState(.reset) }
        case .closed:
            if rst && peer.state != .closed { me.setState(.reset) }
        case .reset:
            break
        }
        if isOrig {
            e.pointee.originator = me
            e.pointee.responder = peer
        } else {
            e.pointee.responder = me
            e.pointee.originator = peer
        }
    }

    /// Zeek's `conn_state` from the two endpoint states (base/protocols/conn/main.zeek).
    func tcpConnState(_ e: UnsafePointer<FlowEntry>) -> String {
        let os = e.pointee.originator.state, rs = e.pointee.responder.state
        let oInactive = os == .inactive || os == .partial
        let rInactive = rs == .inactive || rs == .partial
        if rs == .reset {
            if os == .synSent || os == .synAckSent
                || (os == .reset && counts(e, isOrig: true).bytes == 0 && counts(e, isOrig: false).bytes == 0) { return "REJ" }
            return oInactive ? "RSTRH" : "RSTR"
        }
        if os == .reset {
            if rInactive { return e.pointee.history.matchesRSTOS0 ? "RSTOS0" : "OTH" }
            return "RSTO"
        }
        if rs == .closed && os == .closed { return "SF" }
        if os == .closed { return rInactive ? "SH" : "S2" }
        if rs == .closed { return oInactive ? "SHR" : "S3" }
        if os == .synSent && rs == .inactive { return "S0" }
        if os == .established && rs == .established { return "S1" }
        return "OTH"
    }
}
