import PacketDecoding

extension FlowAnalyzer {
    /// UDP, SCTP and other IP protocols: the responder's first packet establishes the flow.
    func trackDatagram(_ index: UInt32, isOrig: Bool, _ p: DecodedPacket, bytes: UnsafeRawBufferPointer, t: Int64) {
        let e = table.entries + Int(index)
        let len = max(0, p.payloadWireLength)
        if len > 0 {
            // Zeek records D / d for datagrams with payload, once per direction.
            once(e, isOrig: isOrig, UInt8(ascii: "D"))
        }
        if isOrig {
            if len > 0 { recordRequest(e, t: t) }
        } else {
            if !e.pointee.flags.contains(.responderSeen) {
                e.pointee.flags.insert(.responderSeen)
                if e.pointee.flags.contains(.attemptPending) {
                    e.pointee.flags.remove(.attemptPending)
                    observe(.established, e, t: t, latency: t &- e.pointee.startNanos)
                }
            }
            if len > 0 { recordResponse(e, t: t) }
        }
        if let app = applicationAnalyzer, p.payloadLength > 0, e.pointee.transport == .udp {
            deliverPayload(app, index, isOrig: isOrig, p, bytes: bytes, t: t)
        }
        table.touch(index, class: .datagram)
    }

    /// Hands a payload to the application analyzer and records the application it recognised.
    func deliverPayload(_ app: any ApplicationAnalyzer, _ index: UInt32, isOrig: Bool, _ p: DecodedPacket,
                        bytes: UnsafeRawBufferPointer, t: Int64) {
        let start = p.payloadOffset, count = p.payloadLength
        guard start >= 0, count > 0, start + count <= bytes.count else { return }
        let e = table.entries + Int(index)
        let payload = UnsafeRawBufferPointer(rebasing: bytes[start ..< start + count])
        let recognised = app.payload(payload, flow: context(index), fromOriginator: isOrig, timestampNanos: t)
        if recognised != .none && e.pointee.application == .none { e.pointee.application = recognised }
    }

    /// Hands a TCP segment's payload (in order or not, retransmitted or not) to the application
    /// analyzer, which reassembles the stream. `len` is the payload's wire length.
    func deliverSegment(_ app: any ApplicationAnalyzer, _ index: UInt32, isOrig: Bool, _ p: DecodedPacket,
                        bytes: UnsafeRawBufferPointer, len: Int, t: Int64) {
        let start = p.payloadOffset, count = max(0, p.payloadLength)
        guard start >= 0, start + count <= bytes.count else { return }
        let e = table.entries + Int(index)
        let syn = p.tcp.flags.contains(.syn)
        let sender = isOrig ? e.pointee.originator : e.pointee.responder
        let sawOwnSYN = e.pointee.flags.contains(isOrig ? .sawSYN : .sawSYNACK)
        let position = TCPSegmentPosition(
            sequence: p.tcp.sequence &+ (syn ? 1 : 0), wireLength: len,
            streamStart: sawOwnSYN && sender.hasSequence ? sender.baseSeq &+ 1 : nil,
            acknowledgment: p.tcp.flags.contains(.ack) ? p.tcp.acknowledgment : nil)
        let payload = UnsafeRawBufferPointer(rebasing: bytes[start ..< start + count])
        let verdict = app.segment(payload, position: position, flow: context(index), fromOriginator: isOrig, timestampNanos: t)
        if verdict.application != .none && e.pointee.application == .none { e.pointee.application = verdict.application }
        if !verdict.wantsMore { e.pointee.flags.insert(.applicationDone) }
    }

    func context(_ index: UInt32) -> ApplicationFlowContext {
        let e = table.entries + Int(index)
        return ApplicationFlowContext(flowID: e.pointee.flowID, slot: index, client: e.pointee.originatorAddress,
                                      clientPort: e.pointee.originatorPort, service: e.pointee.service,
                                      application: e.pointee.application, tunnel: tunnel(of: e))
    }
}
