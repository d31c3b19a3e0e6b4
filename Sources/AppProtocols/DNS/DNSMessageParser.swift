/// Parses the header and first question of a DNS message (RFC 1035 §4.1), over UDP or TCP.
///
/// Zero-copy and allocation-free: the summary is filled in place and the question name is written
/// into a buffer the caller owns and reuses.
///
/// ```swift
/// let nameBuffer = UnsafeMutableRawBufferPointer.allocate(
///     byteCount: DNSMessageParser.nameBufferSize, alignment: 1)   // once, per thread
/// var dns = DNSSummary()                                           // once, reused
/// // per packet, `payload` = the bytes after the UDP header:
/// let status = DNSMessageParser.parse(payload, into: &dns, name: nameBuffer)
/// if dns.hasQuestion, dns.header.isResponse, dns.header.rcode == 3 {
///     // NXDOMAIN for dns.questionName (a span of nameBuffer); off the hot path:
///     print(dns.questionName.string(in: nameBuffer))
/// }
/// // DNS over TCP: a segment may hold several messages, each behind a 2-byte length.
/// var rest = tcpPayload
/// while !rest.isEmpty {
///     let s = DNSMessageParser.parseTCP(rest, into: &dns, name: nameBuffer)
///     guard s.hasHeader, dns.tcpFrameLength <= rest.count else { break }   // rest is in a later segment
///     rest = UnsafeRawBufferPointer(rebasing: rest[dns.tcpFrameLength...])
/// }
/// ```
public enum DNSMessageParser {
    /// Size of the fixed header.
    public static let headerLength = 12
    /// Maximum name length in wire form (RFC 1035 §3.1).
    public static let maxNameWireLength = 255
    /// A name buffer of this size holds any valid name (the dotted text of a 255-byte wire name is
    /// at most 253 bytes).
    public static let nameBufferSize = 256
    /// Maximum compression pointers followed in one name; real names need one or two.
    public static let maxPointerJumps = 32

    /// Parses one DNS message that fills `payload` (a UDP payload).
    ///
    /// - Parameters:
    ///   - payload: the message bytes; may be empty or hostile.
    ///   - summary: reset, then filled with what was read.
    ///   - name: caller-owned buffer receiving the question name; ``DNSSummary/questionName`` is a
    ///     span of it. Give it ``nameBufferSize`` bytes.
    /// - Returns: `.ok` or the first anomaly. Never traps, never reads outside `payload`.
    @discardableResult
    public static func parse(_ payload: UnsafeRawBufferPointer, into summary: inout DNSSummary,
                             name: UnsafeMutableRawBufferPointer) -> DNSParseStatus {
        summary.reset()
        let bytes = PayloadBytes(payload)
        summary.messageLength = bytes.count
        return parseMessage(bytes, into: &summary, name: name)
    }

    /// Parses the first DNS-over-TCP message in `segment` (RFC 1035 §4.2.2: a 2-byte big-endian
    /// length, then the message), which must start at a message boundary.
    ///
    /// ``DNSSummary/tcpFrameLength`` is set to `2 + length` so the caller can step to the next
    /// message; when it exceeds `segment.count` the status is `.tcpMessageIncomplete` (unless an
    /// earlier anomaly was found) and what was present has been parsed.
    @discardableResult
    public static func parseTCP(_ segment: UnsafeRawBufferPointer, into summary: inout DNSSummary,
                                name: UnsafeMutableRawBufferPointer) -> DNSParseStatus {
        summary.reset()
        let bytes = PayloadBytes(segment)
        guard bytes.has(0, 2) else { return .tcpLengthIncomplete }
        let length = Int(bytes.u16(0))
        summary.messageLength = length
        summary.tcpFrameLength = 2 + length
        let present = bytes.count - 2
        // A view of the message alone: starts after the prefix, ends at the message end or the
        // segment end, whichever comes first. Offsets inside a DNS message are message-relative.
        let body = UnsafeRawBufferPointer(rebasing: segment[2 ..< 2 + min(length, present)])
        let status = parseMessage(PayloadBytes(body), into: &summary, name: name)
        if length > present && (status == .ok || status == .questionTruncated || status == .tooShort) {
            return .tcpMessageIncomplete
        }
        return status
    }

    private static func parseMessage(_ m: PayloadBytes, into summary: inout DNSSummary,
                                     name: UnsafeMutableRawBufferPointer) -> DNSParseStatus {
        guard m.has(0, headerLength) else { return .tooShort }
        summary.header.id = m.u16(0)
        summary.header.flags = m.u16(2)
        summary.header.questionCount = m.u16(4)
        summary.header.answerCount = m.u16(6)
        summary.header.authorityCount = m.u16(8)
        summary.header.additionalCount = m.u16(10)
        guard summary.header.questionCount > 0 else { return .noQuestion }

        let result = DNSNameReader.read(m, at: headerLength, into: name)
        guard result.status == .ok else { return result.status }
        guard m.has(result.end, 4) else { return .questionTruncated }
        summary.questionName = ByteSpan(offset: 0, length: result.textLength)
        summary.questionType = m.u16(result.end)
        summary.questionClass = m.u16(result.end + 2)
        summary.hasQuestion = true
        return .ok
    }
}
