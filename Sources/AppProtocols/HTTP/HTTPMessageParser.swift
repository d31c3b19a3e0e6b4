/// Recognises the start of an HTTP/1.x request or response in one TCP payload and reads its start
/// line and selected headers (Host, Content-Length, Transfer-Encoding).
///
/// Zero-copy and allocation-free: the result is filled in place and its text fields are spans of
/// the payload. TCP is not reassembled: when the payload ends inside the start line or the header
/// block the status says so (``HTTPParseStatus/startLineIncomplete``,
/// ``HTTPParseStatus/headersIncomplete``) instead of guessing.
///
/// ```swift
/// var http = HTTPMessageStart()                        // once, reused
/// switch HTTPMessageParser.parse(payload, into: &http) {
/// case .complete, .headersIncomplete:
///     if http.kind == .response, http.statusCode >= 500 { /* server error */ }
///     if http.kind == .request { let host = http.host.string(in: payload) }  // off the hot path
/// case .startLineIncomplete, .empty: break             // wait for / ignore
/// case .notHTTP, .malformed: break                     // count an anomaly
/// }
/// ```
/// Line ends may be CRLF or a bare LF (accepted, as most servers and Wireshark do).
public enum HTTPMessageParser {
    /// Longest method token accepted (the longest registered method is 17 bytes).
    public static let maxMethodLength = 24

    /// Parses the start of `payload` as an HTTP/1.x message. Never traps, never reads outside it.
    @discardableResult
    public static func parse(_ payload: UnsafeRawBufferPointer, into out: inout HTTPMessageStart) -> HTTPParseStatus {
        out.reset()
        let p = PayloadBytes(payload)
        guard p.count > 0 else { return .empty }
        let lineEnd: Int
        switch startsWithVersion(p, at: 0) {
        case .match:
            out.kind = .response
            let status = parseStatusLine(p, into: &out)
            guard status == .complete, let end = HTTPHeaderLines.line(p, from: 12)?.next else { return status == .complete ? .startLineIncomplete : status }
            lineEnd = end
        case .prefix:
            return .startLineIncomplete
        case .mismatch:
            let status = parseRequestLine(p, into: &out)
            guard status == .complete, let end = HTTPHeaderLines.line(p, from: out.target.offset + out.target.length)?.next else {
                return status == .complete ? .startLineIncomplete : status
            }
            lineEnd = end
        }
        return HTTPHeaderScanner.scan(p, from: lineEnd, into: &out)
    }

    enum PrefixMatch { case match, prefix, mismatch }

    /// Whether `HTTP/1.<digit>` is at `offset`: fully, only as a prefix cut by the payload end, or not.
    static func startsWithVersion(_ p: PayloadBytes, at offset: Int) -> PrefixMatch {
        let expected: StaticString = "HTTP/1."
        let base = expected.utf8Start
        for i in 0..<8 {
            guard p.has(offset + i, 1) else { return .prefix }
            let b = p.u8(offset + i)
            if i == 7 { return ASCII.isDigit(b) ? .match : .mismatch }
            if b != base[i] { return .mismatch }
        }
        return .mismatch
    }

    /// `HTTP/1.x SP 3DIGIT (SP reason | CRLF | LF)`; the version was already matched.
    private static func parseStatusLine(_ p: PayloadBytes, into out: inout HTTPMessageStart) -> HTTPParseStatus {
        out.minorVersion = p.u8(7) &- 0x30
        guard p.has(8, 1) else { return .startLineIncomplete }
        guard p.u8(8) == ASCII.space else { return .malformed }
        var code: UInt16 = 0
        for i in 9..<12 {
            guard p.has(i, 1) else { return .startLineIncomplete }
            let d = p.u8(i)
            guard ASCII.isDigit(d) else { return .malformed }
            code = code * 10 + UInt16(d &- 0x30)
        }
        guard p.has(12, 1) else { return .startLineIncomplete }
        let after = p.u8(12)
        guard code >= 100, after == ASCII.space || after == ASCII.cr || after == ASCII.lf else { return .malformed }
        out.statusCode = code
        return .complete
    }

    /// `method SP request-target SP HTTP/1.x`, stopping before the line end.
    private static func parseRequestLine(_ p: PayloadBytes, into out: inout HTTPMessageStart) -> HTTPParseStatus {
        var i = 0
        while p.has(i, 1), ASCII.isTokenChar(p.u8(i)), i <= maxMethodLength { i += 1 }
        // A token cut by the payload end may be any method (RFC 9110 §9.1: methods are tokens):
        // the caller decides whether to wait for the rest of the line.
        guard p.has(i, 1) else { return i <= maxMethodLength ? .startLineIncomplete : .notHTTP }
        guard i > 0, i <= maxMethodLength, p.u8(i) == ASCII.space else { return .notHTTP }
        let method = HTTPMethod.lookup(p, 0, i)
        // A known method is evidence enough to call later errors `malformed`; an unknown token only
        // counts as a method once the whole line (with the version) has been seen.
        let known = method != .other
        let failure: HTTPParseStatus = known ? .malformed : .notHTTP
        if known {
            out.kind = .request
            out.method = method
            out.methodText = ByteSpan(offset: 0, length: i)
        }
        let targetStart = i + 1
        var j = targetStart
        while p.has(j, 1), ASCII.isTargetChar(p.u8(j)) { j += 1 }
        guard p.has(j, 1) else { return .startLineIncomplete }
        guard j > targetStart, p.u8(j) == ASCII.space else { return failure }
        switch startsWithVersion(p, at: j + 1) {
        case .prefix: return .startLineIncomplete
        case .mismatch: return failure
        case .match: break
        }
        guard p.has(j + 9, 1) else { return .startLineIncomplete }
        let after = p.u8(j + 9)
        guard after == ASCII.cr || after == ASCII.lf else { return failure }
        out.kind = .request
        out.method = method
        out.methodText = ByteSpan(offset: 0, length: i)
        out.target = ByteSpan(offset: targetStart, length: j - targetStart)
        out.minorVersion = p.u8(j + 8) &- 0x30
        return .complete
    }
}
