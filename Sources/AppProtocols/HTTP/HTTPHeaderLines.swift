/// The line and header-field reading shared by both HTTP Host readers: ``HTTPHeaderScanner`` (the
/// header block after a full request or status line, for ``HTTPMessageParser``) and
/// ``HTTPRequestHost`` (the lenient Host finder of the index). Each caller decides what to do with
/// a line it does not want (the scanner calls a line without a colon `malformed`, the Host finder
/// skips it); how a line ends and what counts as a field is decided here once.
enum HTTPHeaderLines {
    /// One line of a header block, as read by ``next(_:at:)``.
    enum Line {
        /// `name: value`: a token, a colon right after it, and the value without surrounding
        /// spaces and tabs.
        case field(name: ByteSpan, value: ByteSpan)
        /// An obs-fold continuation (starts with a space or tab, RFC 9112 §5.2).
        case continuation
        /// Not a field line (no token followed by a colon).
        case invalid
        /// The empty line ending the block; `headerLength` is the offset just past it.
        case end(headerLength: Int)
        /// The payload ends before the line's LF: a line cut by the segment end is never half-read.
        case incomplete
    }

    /// The end of the line's content starting at `start` (before its CR LF or bare LF) and the start
    /// of the next line; nil when no LF follows within `p`.
    @inline(__always)
    static func line(_ p: PayloadBytes, from start: Int) -> (end: Int, next: Int)? {
        var i = max(0, start)
        while p.has(i, 1) {
            if p.u8(i) == ASCII.lf {
                // Content end: before LF, and before CR when the line ends in CR LF.
                return (i > start && p.u8(i - 1) == ASCII.cr ? i - 1 : i, i + 1)
            }
            i += 1
        }
        return nil
    }

    /// Reads the header line starting at `start` and moves `start` to the next line (unchanged for
    /// `.incomplete` and `.end`). With `spaceBeforeColon`, `name : value` is a field too.
    static func next(_ p: PayloadBytes, at start: inout Int, spaceBeforeColon: Bool = false) -> Line {
        let first = start
        guard let (end, next) = line(p, from: first) else { return .incomplete }
        if end == first { return .end(headerLength: next) }
        start = next
        let c = p.u8(first)
        if c == ASCII.space || c == ASCII.tab { return .continuation }
        var nameEnd = first
        while nameEnd < end, ASCII.isTokenChar(p.u8(nameEnd)) { nameEnd += 1 }
        var colon = nameEnd
        while spaceBeforeColon, colon < end, p.u8(colon) == ASCII.space || p.u8(colon) == ASCII.tab { colon += 1 }
        guard nameEnd > first, colon < end, p.u8(colon) == ASCII.colon else { return .invalid }
        return .field(name: ByteSpan(offset: first, length: nameEnd - first), value: trimmed(p, colon + 1, end))
    }

    /// Whether the field name `name` is `lowercase`, ignoring ASCII case (RFC 9110 §5.1).
    static func nameIs(_ p: PayloadBytes, _ name: ByteSpan, _ lowercase: StaticString) -> Bool {
        guard name.length == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for i in 0..<name.length where ASCII.lower(p.u8(name.offset + i)) != expected[i] { return false }
        return true
    }

    /// The bytes between `start` and `end` without leading/trailing spaces and tabs.
    private static func trimmed(_ p: PayloadBytes, _ start: Int, _ end: Int) -> ByteSpan {
        var s = start
        var e = end
        while s < e, p.u8(s) == ASCII.space || p.u8(s) == ASCII.tab { s += 1 }
        while e > s, p.u8(e - 1) == ASCII.space || p.u8(e - 1) == ASCII.tab { e -= 1 }
        return ByteSpan(offset: s, length: e - s)
    }
}
