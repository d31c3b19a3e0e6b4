/// Walks the header block after the start line, recording Host, Content-Length and
/// Transfer-Encoding. Only complete lines (ending in LF) are used: a header cut by the segment end
/// is never half-read. Lines and fields are read by ``HTTPHeaderLines`` (shared with
/// ``HTTPRequestHost``); a line that is not a field makes the message `malformed`, and the first
/// non-empty Host value counts.
enum HTTPHeaderScanner {
    static func scan(_ p: PayloadBytes, from start: Int, into out: inout HTTPMessageStart) -> HTTPParseStatus {
        var line = start
        while true {
            // RFC 9112 §5.1 forbids whitespace before the colon, but servers send it
            // (`Access-Control-Allow-Credentials : true`) and clients read past it: such a line
            // must not end the message's framing (its Content-Length comes after).
            switch HTTPHeaderLines.next(p, at: &line, spaceBeforeColon: true) {
            case .incomplete:
                return .headersIncomplete
            case .end(let headerLength):
                out.headerLength = headerLength
                return .complete
            case .continuation:
                // obs-fold continuation (RFC 9112 §5.2): belongs to the previous field; ignored.
                continue
            case .invalid:
                return .malformed
            case .field(let name, let value):
                if nameIs(p, name, "host") {
                    if out.host.isEmpty && !value.isEmpty {
                        out.host = value
                        out.hostName = HTTPHostForm.messageParser.host(of: value, in: p)
                    }
                } else if nameIs(p, name, "content-length") {
                    if out.contentLength < 0 { out.contentLength = decimal(p, value) }
                } else if nameIs(p, name, "transfer-encoding") {
                    out.isChunked = lastCodingIsChunked(p, value)
                }
            }
        }
    }

    @inline(__always)
    private static func nameIs(_ p: PayloadBytes, _ name: ByteSpan, _ lowercase: StaticString) -> Bool {
        HTTPHeaderLines.nameIs(p, name, lowercase)
    }

    /// A non-negative decimal of at most 18 digits, else -1 (invalid or absurd).
    private static func decimal(_ p: PayloadBytes, _ value: ByteSpan) -> Int64 {
        guard value.length > 0, value.length <= 18 else { return -1 }
        var n: Int64 = 0
        for i in value.offset ..< value.offset + value.length {
            let d = p.u8(i)
            guard ASCII.isDigit(d) else { return -1 }
            n = n * 10 + Int64(d &- 0x30)
        }
        return n
    }

    /// Whether the last coding of a Transfer-Encoding list is `chunked` (RFC 9112 §6.1).
    private static func lastCodingIsChunked(_ p: PayloadBytes, _ value: ByteSpan) -> Bool {
        let word: StaticString = "chunked"
        let n = word.utf8CodeUnitCount
        guard value.length >= n else { return false }
        let start = value.offset + value.length - n
        if start > value.offset {
            let before = p.u8(start - 1)
            guard before == ASCII.space || before == ASCII.tab || before == UInt8(ascii: ",") else { return false }
        }
        return nameIs(p, ByteSpan(offset: start, length: n), word)
    }
}
