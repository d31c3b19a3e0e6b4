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

        // Sequence analysis, as tshark 4.0's (docs/flows.md, "Retransmissions and out-of-order
        // segments"). RST segments carry no stream data and are left out.
        var inSequence = true
        if !rst {
            let rtt = e.pointee.serverRTTNanos >= 0 && e.pointee.clientRTTNanos >= 0
                ? e.pointee.serverRTTNanos &+ e.pointee.clientRTTNanos : -1
            // The peer's few fields, read one by one (not a copy of its whole endpoint).
            let (peerLastAck, peerDuplicateAcks, peerWindowIsZero, peerSentKeepAlive) = withEndpoint(e, !isOrig) {
                ($0.lastAck, $0.duplicateAcks, $0.advertisedWindow == 0, $0.lastWasKeepAlive)
            }
            // Wireshark's fast retransmission: the peer repeated, in ≥ 2 duplicate ACKs less than
            // 20 ms ago, the acknowledgment this segment starts at. Time differences are compared
            // unsigned, as Wireshark does: time going backwards is never "soon after". The peer's
            // last packet time is kept (in the extras) exactly while its duplicate ACKs are counted.
            let answersDuplicateAcks = peerDuplicateAcks >= 2 && seq == peerLastAck
                && UInt64(bitPattern: t &- peerLastPacketNanos(e, isOrig: !isOrig)) < 20_000_000
            let nextBefore = isOrig ? e.pointee.originator.nextSeq : e.pointee.responder.nextSeq
            let window = p.tcp.window
            let retransmitted = withEndpoint(e, isOrig) { ep in
                let verdict = Self.sequence(&ep, seq: seq, payload: UInt32(truncatingIfNeeded: len), synOrFin: syn || fin, t: t,
                                            reorderingWindow: rtt > 0 ? rtt : max(0, config.outOfOrderWindowNanos),
                                            answersDuplicateAcks: answersDuplicateAcks, peerLastAck: peerLastAck,
                                            peerWindowIsZero: peerWindowIsZero)
                if ack {
                    // Wireshark's duplicate ACK: no data, SYN or FIN, same acknowledgment, same
                    // non-zero window and same sequence as this side's previous packet, and not
                    // the answer to a keep-alive.
                    if len == 0 && !syn && !fin && p.tcp.acknowledgment == ep.lastAck && window != 0
                        && window == ep.advertisedWindow && seq == nextBefore && !peerSentKeepAlive {
                        ep.duplicateAcks &+= 1
                    } else if p.tcp.acknowledgment != ep.lastAck {
                        ep.lastAck = p.tcp.acknowledgment
                        ep.duplicateAcks = 0
                    }
                }
                ep.advertisedWindow = window
                return verdict
            }
            let duplicateAcks = isOrig ? e.pointee.originator.duplicateAcks : e.pointee.responder.duplicateAcks
            if duplicateAcks != 0 { withEndpointExtras(e, isOrig) { $0.lastPacketNanos = t } }
            // A retransmission that also carries new bytes past the old end still feeds the
            // application analysis (its start is then re-parsed from the segment start).
            let advanced = (isOrig ? e.pointee.originator.nextSeq : e.pointee.responder.nextSeq) != nextBefore
            switch retransmitted {
            case .retransmission:
                withEndpointExtras(e, isOrig) { $0.retransmissions &+= 1 }
                inSequence = advanced
                if len > 0 { logLetter(e, isOrig: isOrig, letter: UInt8(ascii: "T"), isRetransmit: true) }
            case .outOfOrder:
                withEndpointExtras(e, isOrig) { $0.outOfOrder &+= 1 }
                inSequence = advanced
            case .new: break
            }
            if p.tcp.window == 0 && !syn && !fin {
                withEndpointExtras(e, isOrig) { $0.zeroWindows &+= 1 }
                logLetter(e, isOrig: isOrig, letter: UInt8(ascii: "W"), isRetransmit: false)
            }
        }

        updateState(e, isOrig: isOrig, syn: syn, fin: fin, rst: rst, ack: ack, len: len)

        // Handshake legs and attempt outcome.
        if isOrig {
            if syn && !ack {
                // The most recent SYN before the SYN-ACK (a retransmitted SYN restarts the
                // server leg, as tshark's initial_rtt does).
                if !e.pointee.flags.contains(.synAckSeen) { e.pointee.synOrServerRTTNanos = t }
                if !e.pointee.flags.contains(.attemptEmitted) {
                    e.pointee.flags.insert([.attemptEmitted, .attemptPending])
                    observe(.attempt, e, t: t)
                }
            } else if ack && !syn && e.pointee.flags.contains(.awaitingHandshakeACK) {
                e.pointee.flags.remove(.awaitingHandshakeACK)
                // A negative leg means the capture's timestamps go backwards: not a measurement.
                let leg = t &- e.pointee.synAckOrClientRTTNanos
                e.pointee.synAckOrClientRTTNanos = leg >= 0 && e.pointee.serverRTTNanos >= 0 ? leg : -1
                e.pointee.flags.insert(.clientLegMeasured)
            }
        } else {
            if syn && ack && !e.pointee.flags.contains(.synAckSeen) {
                // (A SYN-ACK at a negative time is no measurement: the next one is looked at again.)
                let synNanos = e.pointee.synOrServerRTTNanos
                if t >= 0 {
                    e.pointee.synAckOrClientRTTNanos = t
                    e.pointee.synOrServerRTTNanos = -1
                    e.pointee.flags.insert(.synAckSeen)
                }
                if synNanos >= 0 {
                    let leg = t &- synNanos
                    if leg >= 0 {
                        e.pointee.synOrServerRTTNanos = leg
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
            if isOrig { recordRequest(e, t: t) } else { recordResponse(e, t: t) }
        }
        // Every segment with payload goes to the application analyzer, which reassembles the
        // stream (retransmitted and out-of-order segments included).
        if len > 0 && !rst && !e.pointee.flags.contains(.applicationDone), let app = applicationAnalyzer {
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

    /// Classifies a segment as tshark 4.0 does (`tcp_analyze_sequence_number`), in its order:
    /// keep-alives are nothing; a segment answering the peer's duplicate ACKs is a (fast)
    /// retransmission; one whose payload the peer already acknowledged is a (spurious)
    /// retransmission, even if it moves the sequence on; one starting below the next expected
    /// sequence is out of order when it comes within the reordering window after the segment that
    /// last advanced the sequence and does not end exactly there, a retransmission otherwise.
    /// Any segment, a pure ACK too, that ends past the next expected sequence moves it on, except a
    /// zero-window probe. Wrapping arithmetic throughout; also records whether it was a keep-alive.
    @inline(__always)
    static func sequence(_ ep: inout FlowEndpoint, seq: UInt32, payload: UInt32, synOrFin: Bool, t: Int64,
                         reorderingWindow: Int64, answersDuplicateAcks: Bool, peerLastAck: UInt32,
                         peerWindowIsZero: Bool) -> SequenceVerdict {
        let end = seq &+ payload &+ (synOrFin ? 1 : 0)
        guard ep.hasSequence else {
            ep.hasSequence = true
            ep.baseSeq = seq
            ep.nextSeq = end
            ep.advancedNanos = t
            return .new
        }
        // One byte at the next sequence while the peer offers no window: it probes the window,
        // and the byte is sent again once the window opens.
        let zeroWindowProbe = payload == 1 && seq == ep.nextSeq && peerWindowIsZero
        let keepAlive = payload <= 1 && !synOrFin && seq == ep.nextSeq &- 1
        ep.lastWasKeepAlive = keepAlive
        var verdict = SequenceVerdict.new
        if (payload > 0 || synOrFin) && !keepAlive {
            // Starting below the next sequence, except more than one byte at next − 1 (new data
            // after a zero-window probe).
            let behind = Int32(bitPattern: seq &- ep.nextSeq) < 0 && !(payload > 1 && seq == ep.nextSeq &- 1)
            if behind && answersDuplicateAcks {
                verdict = .retransmission
            } else if payload > 0 && peerLastAck != 0 && Int32(bitPattern: seq &+ payload &- peerLastAck) <= 0 {
                verdict = .retransmission
            } else if behind {
                let soon = UInt64(bitPattern: t &- ep.advancedNanos) < UInt64(bitPattern: reorderingWindow)
                verdict = soon && end != ep.nextSeq ? .outOfOrder : .retransmission
            }
        }
        if Int32(bitPattern: end &- ep.nextSeq) > 0 && !zeroWindowProbe {
            ep.nextSeq = end
            ep.advancedNanos = t
        }
        return verdict
    }

    /// The extras of one side of flow `e` (taken on first need).
    @inline(__always)
    func withEndpointExtras<R>(_ e: UnsafeMutablePointer<FlowEntry>, _ isOrig: Bool, _ body: (inout EndpointExtras) -> R) -> R {
        let x = extras(of: e)
        return isOrig ? body(&x.pointee.originator) : body(&x.pointee.responder)
    }

    /// Time of the last packet of one side of flow `e`; exact while its duplicate ACKs are counted
    /// (the only time it is read).
    @inline(__always)
    func peerLastPacketNanos(_ e: UnsafeMutablePointer<FlowEntry>, isOrig: Bool) -> Int64 {
        guard let x = existingExtras(of: e) else { return 0 }
        return isOrig ? x.pointee.originator.lastPacketNanos : x.pointee.responder.lastPacketNanos
    }

    @inline(__always)
    func withEndpoint<R>(_ e: UnsafeMutablePointer<FlowEntry>, _ isOrig: Bool, _ body: (inout FlowEndpoint) -> R) -> R {
        isOrig ? body(&e.pointee.originator) : body(&e.pointee.responder)
    }
}
