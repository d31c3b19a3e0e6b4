/// Walks the header block after the start line, recording Host, Content-Length and
/// Transfer-Encoding. Only complete lines (ending in LF) are used: a header cut by the segment end
/// is never half-read.
enum HTTPHeaderScanner {
    static func scan(_ p: PayloadBytes, from start: Int, into out: inout HTTPMessageStart) -> HTTPParseStatus {
        var line = start
        while true {
            guard let next = HTTPMessageParser.nextLineStart(p, from: line) else { return .headersIncomplete }
            // Content end: before LF, and before CR when the line ends in CRLF.
            var end = next - 1
            if end > line && p.u8(end - 1) == ASCII.cr { end -= 1 }
            if end == line {
                out.headerLength = next
                return .complete
            }
            let first = p.u8(line)
            if first == ASCII.space || first == ASCII.tab {
                // obs-fold continuation (RFC 9112 §5.2): belongs to the previous field; ignored.
                line = next
                continue
            }
            var colon = line
            while colon < end, ASCII.isTokenChar(p.u8(colon)) { colon += 1 }
            guard colon > line, colon < end, p.u8(colon) == ASCII.colon else { return .malformed }
            let value = trimmed(p, colon + 1, end)
            let name = ByteSpan(offset: line, length: colon - line)
            if nameIs(p, name, "host") {
                if out.host.isEmpty && !value.isEmpty {
                    out.host = value
                    out.hostName = hostWithoutPort(p, value)
                }
            } else if nameIs(p, name, "content-length") {
                if out.contentLength < 0 { out.contentLength = decimal(p, value) }
            } else if nameIs(p, name, "transfer-encoding") {
                out.isChunked = lastCodingIsChunked(p, value)
            }
            line = next
        }
    }

    /// The bytes between `start` and `end` without leading/trailing spaces and tabs.
    private static func trimmed(_ p: PayloadBytes, _ start: Int, _ end: Int) -> ByteSpan {
        var s = start
        var e = end
        while s < e, p.u8(s) == ASCII.space || p.u8(s) == ASCII.tab { s += 1 }
        while e > s, p.u8(e - 1) == ASCII.space || p.u8(e - 1) == ASCII.tab { e -= 1 }
        return ByteSpan(offset: s, length: e - s)
    }

    private static func nameIs(_ p: PayloadBytes, _ name: ByteSpan, _ lowercase: StaticString) -> Bool {
        guard name.length == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for i in 0..<name.length where ASCII.lower(p.u8(name.offset + i)) != expected[i] { return false }
        return true
    }

    /// `host`, `host:port`, `[v6]`, `[v6]:port` → the host part (brackets removed).
    private static func hostWithoutPort(_ p: PayloadBytes, _ value: ByteSpan) -> ByteSpan {
        let end = value.offset + value.length
        if p.u8(value.offset) == UInt8(ascii: "[") {
            var i = value.offset + 1
            while i < end, p.u8(i) != UInt8(ascii: "]") { i += 1 }
            return i < end ? ByteSpan(offset: value.offset + 1, length: i - value.offset - 1) : value
        }
        var i = value.offset
        while i < end, p.u8(i) != ASCII.colon { i += 1 }
        return ByteSpan(offset: value.offset, length: i - value.offset)
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
