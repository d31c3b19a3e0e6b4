import PacketDecoding

extension FlowAnalyzer {
    /// Wireshark's rule for a new connection on a known 5-tuple: a SYN without ACK whose
    /// sequence number differs from the first one its sender used (a retransmitted SYN keeps
    /// its ISN; a new connection picks a new one).
    @inline(__always)
    func isReuse(_ index: UInt32, _ p: DecodedPacket, fromA: Bool) -> Bool {
        let f = p.tcp.flags
        guard f.contains(.syn), !f.contains(.ack) else { return false }
        let e = table.entries + Int(index)
        let sender = fromA == e.pointee.originatorIsA ? e.pointee.originator : e.pointee.responder
        return sender.hasSequence && sender.baseSeq != p.tcp.sequence
    }

    /// TCP: history letters, endpoint states, sequence analysis, RTT legs, response time and the
    /// attempt / outcome observations.
    func trackTCP(_ index: UInt32, isOrig: Bool, _ p: DecodedPacket, bytes: UnsafeRawBufferPointer, t: Int64) {
        let e = table.entries + Int(index)
        let f = p.tcp.flags
        let len = max(0, p.payloadWireLength)
        let seq = p.tcp.sequence
        let syn = f.contains(.syn), fin = f.contains(.fin), rst = f.contains(.rst), ack = f.contains(.ack)

        if syn { e.pointee.flags.insert(ack ? .sawSYNACK : .sawSYN) }
        if rst { e.pointee.flags.insert(.sawRST) }
        history(e, isOrig: isOrig, syn: syn, fin: fin, rst: rst, ack: ack, len: len, seq: seq)

        // Sequence analysis (RST segments carry no stream data).
        var inSequence = true
        if !rst {
            let segLen = UInt32(truncatingIfNeeded: len) &+ (syn ? 1 : 0) &+ (fin ? 1 : 0)
            let rtt = e.pointee.serverRTTNanos >= 0 && e.pointee.clientRTTNanos >= 0
                ? e.pointee.serverRTTNanos &+ e.pointee.clientRTTNanos : -1
            let oooWindow = rtt > 0 ? rtt : config.outOfOrderWindowNanos
            let peer = isOrig ? e.pointee.responder : e.pointee.originator
            let fastRetransmit = peer.duplicateAcks >= 2 && seq == peer.lastAck
            let nextBefore = isOrig ? e.pointee.originator.nextSeq : e.pointee.responder.nextSeq
            let retransmitted = withEndpoint(e, isOrig) { ep in
                Self.sequence(&ep, seq: seq, segLen: segLen, len: len, t: t, oooWindow: fastRetransmit ? 0 : oooWindow)
            }
            if ack {
                // An ACK beyond what the peer was seen sending acknowledges segments the capture
                // missed: the peer's next sequence moves there (Wireshark's "ACKed unseen segment"),
                // so a late copy of them counts as a retransmission.
                withEndpoint(e, !isOrig) { peer in
                    if peer.hasSequence && Int32(bitPattern: p.tcp.acknowledgment &- peer.nextSeq) > 0 {
                        peer.nextSeq = p.tcp.acknowledgment
                    }
                }
                withEndpoint(e, isOrig) { ep in
                    if len == 0 && !syn && !fin && p.tcp.acknowledgment == ep.lastAck {
                        ep.duplicateAcks &+= 1
                    } else if p.tcp.acknowledgment != ep.lastAck {
                        ep.lastAck = p.tcp.acknowledgment
                        ep.duplicateAcks = 0
                    }
                }
            }
            // A retransmission that also carries new bytes past the old end still feeds the
            // application analysis (its start is then re-parsed from the segment start).
            let advanced = (isOrig ? e.pointee.originator.nextSeq : e.pointee.responder.nextSeq) != nextBefore
            switch retransmitted {
            case .retransmission:
                inSequence = advanced
                if len > 0 { logLetter(e, isOrig: isOrig, letter: UInt8(ascii: "T"), isRetransmit: true) }
            case .outOfOrder: inSequence = advanced
            case .new: break
            }
            if p.tcp.window == 0 && !syn && !fin {
                withEndpoint(e, isOrig) { $0.zeroWindows &+= 1 }
                logLetter(e, isOrig: isOrig, letter: UInt8(ascii: "W"), isRetransmit: false)
            }
        }

        updateState(e, isOrig: isOrig, syn: syn, fin: fin, rst: rst, ack: ack, len: len)

        // Handshake legs and attempt outcome.
        if isOrig {
            if syn && !ack {
                // The most recent SYN before the SYN-ACK (a retransmitted SYN restarts the
                // server leg, as tshark's initial_rtt does).
                if e.pointee.synAckNanos < 0 { e.pointee.synNanos = t }
                if !e.pointee.flags.contains(.attemptEmitted) {
                    e.pointee.flags.insert([.attemptEmitted, .attemptPending])
                    observe(.attempt, e, t: t)
                }
            } else if ack && !syn && e.pointee.flags.contains(.awaitingHandshakeACK) {
                e.pointee.flags.remove(.awaitingHandshakeACK)
                // A negative leg means the capture's timestamps go backwards: not a measurement.
                let leg = t &- e.pointee.synAckNanos
                e.pointee.clientRTTNanos = leg >= 0 && e.pointee.serverRTTNanos >= 0 ? leg : -1
            }
        } else {
            if syn && ack && e.pointee.synAckNanos < 0 {
                e.pointee.synAckNanos = t
                if e.pointee.synNanos >= 0 {
                    let leg = t &- e.pointee.synNanos
                    if leg >= 0 {
                        e.pointee.serverRTTNanos = leg
                        e.pointee.flags.insert(.awaitingHandshakeACK)
                    }
                }
                if e.pointee.flags.contains(.attemptPending) {
                    e.pointee.flags.remove(.attemptPending)
                    observe(.established, e, t: t, latency: e.pointee.serverRTTNanos)
                }
            } else if rst && e.pointee.flags.contains(.attemptPending) {
                e.pointee.flags.remove(.attemptPending)
                observe(.refused, e, t: t)
            }
        }
        if rst && e.pointee.flags.contains(.sawSYNACK) && !e.pointee.flags.contains(.attemptPending)
            && !e.pointee.flags.contains(.resetEmitted) {
            e.pointee.flags.insert(.resetEmitted)
            observe(.reset, e, t: t)
        }

        // First application response time.
        if len > 0 && !rst && inSequence {
            if isOrig {
                if e.pointee.requestNanos < 0 {
                    e.pointee.requestNanos = t
                    e.pointee.flags.insert(.awaitingResponse)
                }
            } else if e.pointee.flags.contains(.awaitingResponse) {
                e.pointee.flags.remove(.awaitingResponse)
                e.pointee.responseTimeNanos = t &- e.pointee.requestNanos
            }
        }
        // Every segment with payload goes to the application analyzer, which reassembles the
        // stream (retransmitted and out-of-order segments included).
        if len > 0 && !rst, let app = applicationAnalyzer {
            deliverSegment(app, index, isOrig: isOrig, p, bytes: bytes, len: len, t: t)
        }

        let o = e.pointee.originator.state, r = e.pointee.responder.state
        let newClass: TimeoutClass
        if (o == .synSent || o == .synAckSent) && r == .inactive {
            newClass = .tcpAttempt
        } else if (o == .closed && r == .closed) || o == .reset || r == .reset {
            newClass = .tcpClosing
        } else {
            newClass = .tcpActive
        }
        table.touch(index, class: newClass)
    }

    enum SequenceVerdict { case new, retransmission, outOfOrder }

    /// Classifies a segment against the highest sequence its sender reached: advancing, or old
    /// (retransmitted, or out of order when it arrives within the reordering window). Keep-alives
    /// (one byte or none, just below the next sequence) are neither. Wrapping arithmetic throughout.
    @inline(__always)
    static func sequence(_ ep: inout FlowEndpoint, seq: UInt32, segLen: UInt32, len: Int, t: Int64,
                         oooWindow: Int64) -> SequenceVerdict {
        guard ep.hasSequence else {
            ep.hasSequence = true
            ep.baseSeq = seq
            ep.nextSeq = seq &+ segLen
            ep.advancedNanos = t
            return .new
        }
        guard segLen > 0 else { return .new }
        let end = seq &+ segLen
        let advances = Int32(bitPattern: end &- ep.nextSeq) > 0
        // As Wireshark: a segment *starting* below the next expected sequence did not advance it,
        // even if it overlaps past it (a repacketised retransmission).
        guard Int32(bitPattern: seq &- ep.nextSeq) < 0 else {
            if advances {
                ep.nextSeq = end
                ep.advancedNanos = t
            }
            return .new
        }
        if segLen == UInt32(truncatingIfNeeded: len) && len <= 1 && seq == ep.nextSeq &- 1 { return .new }  // keep-alive
        // Wireshark's rule: soon after the segment that advanced the sequence (within the
        // handshake RTT, or the configured window before it is known), and not a repeat of that
        // very segment's end, it is out of order; otherwise retransmitted.
        let verdict: SequenceVerdict = t &- ep.advancedNanos < oooWindow && end != ep.nextSeq ? .outOfOrder : .retransmission
        if verdict == .outOfOrder { ep.outOfOrder &+= 1 } else { ep.retransmissions &+= 1 }
        if advances {
            ep.nextSeq = end
            ep.advancedNanos = t
        }
        return verdict
    }

    @inline(__always)
    func withEndpoint<R>(_ e: UnsafeMutablePointer<FlowEntry>, _ isOrig: Bool, _ body: (inout FlowEndpoint) -> R) -> R {
        isOrig ? body(&e.pointee.originator) : body(&e.pointee.responder)
    }
}
