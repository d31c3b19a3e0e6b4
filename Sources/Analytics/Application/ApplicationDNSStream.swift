import AppProtocols

extension StandardApplicationAnalyzer {
    /// DNS over TCP (RFC 7766): length-prefixed messages on the reassembled stream. The header and
    /// question are read from the first bytes of each message (up to the message-start cap); the
    /// rest of a long answer is skipped.
    func dnsStreamStep(_ v: UnsafeRawBufferPointer, nanos t: Int64, truncated: Bool,
                       _ state: inout ApplicationFlowState, flow: ApplicationFlowContext) -> StreamStep {
        guard v.count >= 2 else { return truncated ? .lost : .needMore }
        let frameLength = 2 + (Int(v[0]) << 8 | Int(v[1]))
        if v.count < frameLength && !truncated { return .needMore }
        let frame = UnsafeRawBufferPointer(rebasing: v[0 ..< min(frameLength, v.count)])
        guard DNSMessageParser.parseTCP(frame, into: &dns, name: nameBuffer).hasHeader else { return .lost }
        message(DNSMessageCopy(frame, nanos: t), &state.dns, flow: flow)
        return .consumed(frame.count, skip: Int64(frameLength - frame.count))
    }
}
