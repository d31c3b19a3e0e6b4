/// Packet-by-packet behaviour of sessions: TCP handshake, windowed data transfer with
/// delayed ACKs and retransmissions, teardown, and DNS transactions.
///
/// The capture point sits next to the servers: a server's packet is seen as it leaves, the
/// client's answer one RTT later; client data is seen on arrival, the server's answer after
/// its processing time.
extension Engine {
    static let second: UInt64 = 1_000_000_000

    /// Emits the next packet of `s` (due at `t`) and schedules the following one.
    /// Returns false once the session has emitted its last packet.
    mutating func advance(_ s: inout Session, slot: Int, at t: UInt64) throws -> Bool {
        switch s.phase {
        case .syn:
            if s.counter == 0 {
                switch s.kind {
                case .tcp: stats.tcpSessions += 1
                case .refused: stats.refused += 1
                case .unanswered: stats.unansweredSYN += 1
                case .dns: break
                }
            }
            try emitTCP(&s, at: t, fromServer: false, flags: TCPFlags.syn, seq: s.isnClient, ack: 0, options: .syn)
            switch s.kind {
            case .refused:
                s.phase = .refusedReset
                s.nextTime = t + rng.micros(15, 150)
            case .unanswered:
                guard s.counter < s.loops else { return false }
                s.nextTime = t + Self.second << UInt64(s.counter)  // RTO 1 s, then 2 s
                s.counter += 1
            default:
                s.phase = .synAck
                s.nextTime = t + rng.micros(15, 150)
            }
        case .synAck:
            try emitTCP(&s, at: t, fromServer: true, flags: TCPFlags.syn | TCPFlags.ack, seq: s.isnServer,
                        ack: s.isnClient &+ 1, options: .syn)
            s.phase = .handshakeAck
            s.nextTime = t + s.rtt
        case .handshakeAck:
            try emitTCP(&s, at: t, fromServer: false, flags: TCPFlags.ack, seq: s.seqClient, ack: s.seqServer,
                        options: .timestamps)
            s.lastDataAt = t
            s.lastFromServer = false
            s.upcoming = nextPlan(&s, at: t)
            beginNext(&s, at: t)
        case .transfer:
            try transferStep(&s, slot: slot, at: t)
        case .finFirst:
            let server = s.closerIsServer
            try emitTCP(&s, at: t, fromServer: server, flags: TCPFlags.fin | TCPFlags.ack,
                        seq: server ? s.seqServer : s.seqClient, ack: server ? s.seqClient : s.seqServer,
                        options: .timestamps)
            if server { s.seqServer &+= 1 } else { s.seqClient &+= 1 }
            if server {
                s.phase = .finSecond
                s.nextTime = t + s.rtt + rng.micros(20, 400)
            } else if rng.chance(0.3) {
                s.phase = .finAckOnly
                s.nextTime = t + rng.micros(10, 60)
            } else {
                s.phase = .finSecond
                s.nextTime = t + rng.micros(10, 120)
            }
        case .finAckOnly:
            try emitTCP(&s, at: t, fromServer: true, flags: TCPFlags.ack, seq: s.seqServer, ack: s.seqClient,
                        options: .timestamps)
            s.phase = .finSecond
            s.nextTime = t + rng.micros(50, 3_000)
        case .finSecond:
            let server = !s.closerIsServer
            try emitTCP(&s, at: t, fromServer: server, flags: TCPFlags.fin | TCPFlags.ack,
                        seq: server ? s.seqServer : s.seqClient, ack: server ? s.seqClient : s.seqServer,
                        options: .timestamps)
            if server { s.seqServer &+= 1 } else { s.seqClient &+= 1 }
            s.phase = .finLast
            s.nextTime = t + (s.closerIsServer ? rng.micros(10, 80) : s.rtt)
        case .finLast:
            let server = s.closerIsServer
            try emitTCP(&s, at: t, fromServer: server, flags: TCPFlags.ack,
                        seq: server ? s.seqServer : s.seqClient, ack: server ? s.seqClient : s.seqServer,
                        options: .timestamps)
            return false
        case .reset:
            let server = s.closerIsServer
            stats.resets += 1
            try emitTCP(&s, at: t, fromServer: server, flags: TCPFlags.rst | TCPFlags.ack,
                        seq: server ? s.seqServer : s.seqClient, ack: server ? s.seqClient : s.seqServer,
                        options: .empty)
            return false
        case .refusedReset:
            try emitTCP(&s, at: t, fromServer: true, flags: TCPFlags.rst | TCPFlags.ack, seq: 0,
                        ack: s.isnClient &+ 1, options: .empty)
            return false
        case .dnsQuery:
            if s.counter == 0 {
                stats.dnsQueries += 1
                if s.dnsOutcome == .nxdomain { stats.nxdomain += 1 }
                if s.dnsOutcome == .unanswered { stats.dnsUnanswered += 1 }
            }
            try emitDNS(&s, at: t, response: false)
            if s.dnsOutcome == .unanswered {
                guard s.counter == 0 else { return false }
                s.counter = 1
                s.nextTime = t + Self.second  // stub resolver retry
            } else {
                s.phase = .dnsResponse
                s.nextTime = t + s.rtt
            }
        case .dnsResponse:
            try emitDNS(&s, at: t, response: true)
            return false
        }
        return true
    }

    /// Makes `s.upcoming` the current step and plans the one after it.
    mutating func beginNext(_ s: inout Session, at now: UInt64) {
        let plan = s.upcoming
        var start: UInt64
        if plan.reacts {
            start = s.lastDataAt + plan.delay
            if !plan.fromServer && s.lastFromServer { start += s.rtt }
        } else {
            start = now + plan.delay
        }
        start = max(start, now)
        s.nextTime = start
        switch plan.action {
        case .send:
            s.current = plan
            s.phase = .transfer
            s.sent = 0
            s.inflight = 0
            s.unacked = 0
            s.nextSendAt = start
            s.upcoming = nextPlan(&s, at: start)
            s.omitFinalAck = s.upcoming.action == .send && s.upcoming.reacts
                && s.upcoming.fromServer != plan.fromServer
        case .closeByClient, .closeByServer:
            s.closerIsServer = plan.action == .closeByServer
            s.phase = .finFirst
        case .resetByClient, .resetByServer:
            s.closerIsServer = plan.action == .resetByServer
            s.phase = .reset
        }
    }

    /// One packet of the current message transfer: a retransmission, a receiver ACK, or the
    /// next data segment, whichever is due.
    private mutating func transferStep(_ s: inout Session, slot: Int, at t: UInt64) throws {
        let fromServer = s.current.fromServer
        let total = s.current.message.length
        if s.retxAt != 0 && s.retxAt <= t {
            try emitTCP(&s, at: t, fromServer: fromServer, flags: TCPFlags.ack | TCPFlags.psh, seq: s.holeSeq,
                        ack: fromServer ? s.seqClient : s.seqServer, options: .timestamps,
                        payloadOffset: Int(s.holeOffset), payloadCount: Int(s.holeLength))
            stats.retransmissions += 1
            s.retxAt = 0
            s.lastDataAt = max(s.lastDataAt, t)
            pushAck(&s, slot: slot, time: t + ackDelay(s, dataFromServer: fromServer),
                    ack: fromServer ? s.seqServer : s.seqClient, segments: 1 + s.unacked)
            s.unacked = 0
        } else if s.ringCount > 0 && ackHeadTime(s, slot: slot) <= t {
            let (_, ack, segments) = popAck(&s, slot: slot)
            try emitTCP(&s, at: t, fromServer: !fromServer, flags: TCPFlags.ack,
                        seq: fromServer ? s.seqClient : s.seqServer, ack: ack, options: .timestamps)
            s.inflight -= min(segments, s.inflight)
            if fromServer {
                s.cwndServer = min(s.cwndMax, s.cwndServer + segments)
            } else {
                s.cwndClient = min(s.cwndMax, s.cwndClient + segments)
            }
            if s.sent < total && s.nextSendAt < t {
                // The sender was window-limited: it resumes when this ACK reaches it.
                s.nextSendAt = t + (fromServer ? rng.micros(2, 15) : s.rtt + rng.micros(5, 40))
            }
        } else {
            try sendSegment(&s, slot: slot, at: t)
        }

        if s.sent == total && s.ringCount == 0 && s.retxAt == 0 {
            s.lastFromServer = fromServer
            beginNext(&s, at: t)
            return
        }
        var next = UInt64.max
        let cwnd = fromServer ? s.cwndServer : s.cwndClient
        if s.sent < total && s.inflight < cwnd { next = s.nextSendAt }
        if s.ringCount > 0 { next = min(next, ackHeadTime(s, slot: slot)) }
        if s.retxAt != 0 { next = min(next, s.retxAt) }
        if next == .max {
            // Defensive: never stall a flow on accounting; treat everything as acknowledged.
            s.inflight = 0
            next = s.nextSendAt
        }
        s.nextTime = max(next, t)
    }

    /// Sends the next MSS-sized (or final) segment of the current message.
    ///
    /// With probability `lossRate` the segment is lost *before* the capture point (sender
    /// NIC/queue drop or upstream loss): the capture shows a sequence gap, the receiver's
    /// duplicate ACKs, then the retransmission filling the gap. (Showing the original and a
    /// duplicate would make Wireshark report reassembly overlaps inside TLS streams.)
    ///
    /// The first segment of a message (which carries its header) and SSH connections are
    /// never hit: Wireshark 4.0 parses the body of a message whose header is missing as a
    /// new header, and its SSH dissector throws on out-of-order segments; both would make
    /// it report malformed packets that a real capture would not have.
    private mutating func sendSegment(_ s: inout Session, slot: Int, at t: UInt64) throws {
        let fromServer = s.current.fromServer
        let total = Int(s.current.message.length)
        let mss = s.mss
        let offset = Int(s.sent)
        let count = min(mss, total - offset)
        let isLast = offset + count == total
        let seq = fromServer ? s.seqServer : s.seqClient
        let lost = s.retxAt == 0 && offset > 0 && s.app != .ssh && rng.chance(config.lossRate)
        if !lost {
            try emitTCP(&s, at: t, fromServer: fromServer, flags: TCPFlags.ack | (isLast ? TCPFlags.psh : 0), seq: seq,
                        ack: fromServer ? s.seqClient : s.seqServer, options: .timestamps,
                        payloadOffset: offset, payloadCount: count)
        }
        let end = seq &+ UInt32(count)
        if fromServer { s.seqServer = end } else { s.seqClient = end }
        s.sent += UInt32(count)
        s.inflight += 1
        s.lastDataAt = t
        let gap = fromServer ? s.gapServer : s.gapClient
        s.nextSendAt = t + gap + UInt64(rng.below(Int(gap / 2) + 1))
        let cwnd = fromServer ? s.cwndServer : s.cwndClient

        if lost {
            // The receiver answers later segments with duplicate ACKs; the sender
            // fast-retransmits after three of them, or after a tail-loss probe (2 RTT, at
            // least 10 ms) when too few segments follow.
            s.holeSeq = seq
            s.holeLength = UInt16(count)
            s.holeOffset = UInt32(offset)
            // Multiplicative decrease of the congestion window.
            if fromServer { s.cwndServer = max(s.cwndServer / 2, 2) } else { s.cwndClient = max(s.cwndClient / 2, 2) }
            let following = (total - offset - count + mss - 1) / mss
            s.retxAt = following >= 3
                ? t + s.rtt + 4 * gap + rng.micros(10, 100)
                : t + max(2 * s.rtt, 10_000_000) + rng.micros(100, 2_000)
            if isLast && s.unacked > 0 {
                pushAck(&s, slot: slot, time: t + ackDelay(s, dataFromServer: fromServer), ack: seq, segments: s.unacked)
                s.unacked = 0
            }
            return
        }
        s.unacked += 1
        var received: UInt16
        if fromServer {
            s.receivedByClient &+= s.receivedByClient < 1000 ? 1 : 0
            received = s.receivedByClient
        } else {
            s.receivedByServer &+= s.receivedByServer < 1000 ? 1 : 0
            received = s.receivedByServer
        }
        let ackEvery: UInt16 = s.retxAt != 0 || received <= 16 ? 1 : 2
        let piggyback = isLast && s.omitFinalAck && s.retxAt == 0
        if s.unacked >= ackEvery && !piggyback || isLast && !piggyback || s.inflight >= cwnd {
            pushAck(&s, slot: slot, time: t + ackDelay(s, dataFromServer: fromServer),
                    ack: s.retxAt != 0 ? s.holeSeq : end, segments: s.unacked)
            s.unacked = 0
        }
        if piggyback {
            s.unacked = 0
            s.inflight = 0
        }
    }

    /// Delay between a data segment and the receiver's ACK, as seen at the capture point.
    @inline(__always)
    private func ackDelay(_ s: Session, dataFromServer: Bool) -> UInt64 {
        dataFromServer ? s.rtt + 5_000 : s.ackLagServer
    }
}
