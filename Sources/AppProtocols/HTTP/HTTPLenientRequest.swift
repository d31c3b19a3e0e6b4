/// Recognises a request that breaks HTTP/1.x's request-line grammar but that a server still
/// answers (typically with 400): `OPTIONS` alone on its line, `GET/HTTP/1.1`, `PUT / HTTP/1.`,
/// a method of non-token bytes followed by `/ HTTP/1.1`. tshark counts the answers to these, and
/// each is a transaction the server handled, so the analytics pair them like any request.
///
/// Allocation-free; never traps, never reads outside `payload`.
public enum HTTPLenientRequest {
    /// Most bytes of the first line looked at.
    public static let maxLineLength = 8 * 1024

    /// What was recognised.
    public struct Match: Sendable, Hashable {
        /// The bytes before the first space, `/`, CR or LF (at most
        /// ``HTTPMessageParser/maxMethodLength``): the method as sent, possibly empty.
        public var method: ByteSpan
        /// Bytes through the empty line ending the header block; 0 when it is not in `payload`.
        public var headerLength: Int
    }

    /// The request `payload` starts, if it looks like one: a method of 3–24 bytes of `A-Z`, `_`,
    /// `-` followed by a space, `/`, CR or LF; or any first line containing `HTTP/1.`.
    public static func match(_ payload: UnsafeRawBufferPointer) -> Match? {
        let p = PayloadBytes(payload)
        var methodEnd = 0
        while methodEnd < HTTPMessageParser.maxMethodLength, p.has(methodEnd, 1) {
            let b = p.u8(methodEnd)
            if b == ASCII.space || b == UInt8(ascii: "/") || b == ASCII.cr || b == ASCII.lf { break }
            methodEnd += 1
        }
        guard p.has(methodEnd, 1) else { return nil }
        var upperMethod = methodEnd >= 3
        for i in 0..<methodEnd where !(isUpper(p.u8(i)) || p.u8(i) == UInt8(ascii: "_") || p.u8(i) == UInt8(ascii: "-")) {
            upperMethod = false
            break
        }
        guard upperMethod || firstLineNamesVersion(p) else { return nil }
        return Match(method: ByteSpan(offset: 0, length: methodEnd), headerLength: headerEnd(p))
    }

    @inline(__always)
    private static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }

    /// Whether `HTTP/1.` occurs on the first line.
    private static func firstLineNamesVersion(_ p: PayloadBytes) -> Bool {
        let version: StaticString = "HTTP/1."
        let v = version.utf8Start, n = version.utf8CodeUnitCount
        var i = 0
        while i < maxLineLength, p.has(i, n) {
            if p.u8(i) == ASCII.lf { return false }
            var same = true
            for k in 0..<n where p.u8(i + k) != v[k] {
                same = false
                break
            }
            if same { return true }
            i += 1
        }
        return false
    }

    /// Offset just past the first empty line (CR LF CR LF, LF LF or mixed), 0 if none.
    private static func headerEnd(_ p: PayloadBytes) -> Int {
        var line = 0
        while let (end, next) = HTTPHeaderLines.line(p, from: line) {
            if end == line && line > 0 { return next }
            line = next
        }
        return 0
    }
}
