/// Finds the Host header of an HTTP/1.x request at the start of a TCP payload.
///
/// The request line must look like `METHOD SP target SP HTTP/1.x CRLF` (METHOD: 1–24 characters of
/// `A-Z`, `-`, `_`), which is cheap to reject for the vast majority of payloads. The value is stored
/// lowercased and without a `:port` suffix.
enum HTTPHostName {
    private static let versionPrefix: [UInt8] = Array(" HTTP/1.".utf8)

    static func find(in payload: UnsafeRawBufferPointer, into out: inout NameScratch) -> Bool {
        let n = min(payload.count, 16_384)
        guard n >= 16 else { return false }
        // Method token.
        var i = 0
        while i < n && i < 24 {
            let c = payload[i]
            if (c >= 0x41 && c <= 0x5A) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") { i += 1 } else { break }
        }
        guard i > 0, i < n, payload[i] == UInt8(ascii: " ") else { return false }
        // End of the request line, which must end in " HTTP/1.x" (CRLF or, as tolerant servers and
        // tshark accept, a bare LF).
        guard let (lineEnd, next) = lineEnd(payload, from: i, limit: n), lineEnd >= 9 else { return false }
        let v = lineEnd - 9
        for k in 0..<8 where payload[v + k] != versionPrefix[k] { return false }
        // Header lines.
        var lineStart = next
        while lineStart < n {
            guard let (end, following) = lineEnd(payload, from: lineStart, limit: n) else { return false }
            if end == lineStart { return false }  // empty line: end of headers, no Host
            if end - lineStart >= 5 && matchesHost(payload, at: lineStart) {
                var s = lineStart + 5
                var e = end
                while s < e && (payload[s] == 0x20 || payload[s] == 0x09) { s += 1 }
                while e > s && (payload[e - 1] == 0x20 || payload[e - 1] == 0x09) { e -= 1 }
                e = stripPort(payload, s, e)
                guard e > s else { return false }
                out.reset()
                for k in s..<e { guard out.append(payload[k]) else { return false } }
                return true
            }
            lineStart = following
        }
        return false
    }

    /// The end of the line starting at or after `from` (excluding its CR LF or LF) and the start of
    /// the next line; nil when the line is not complete within `limit`.
    @inline(__always)
    private static func lineEnd(_ p: UnsafeRawBufferPointer, from: Int, limit: Int) -> (Int, Int)? {
        var i = from
        while i < limit {
            if p[i] == 0x0A { return (i > from && p[i - 1] == 0x0D ? i - 1 : i, i + 1) }
            i += 1
        }
        return nil
    }

    private static func matchesHost(_ p: UnsafeRawBufferPointer, at i: Int) -> Bool {
        (p[i] | 0x20) == UInt8(ascii: "h") && (p[i + 1] | 0x20) == UInt8(ascii: "o")
            && (p[i + 2] | 0x20) == UInt8(ascii: "s") && (p[i + 3] | 0x20) == UInt8(ascii: "t")
            && p[i + 4] == UInt8(ascii: ":")
    }

    /// `example.com:8080` -> `example.com`; `[2001:db8::1]:80` -> `[2001:db8::1]`.
    private static func stripPort(_ p: UnsafeRawBufferPointer, _ s: Int, _ e: Int) -> Int {
        var k = e - 1
        while k > s && p[k] >= 0x30 && p[k] <= 0x39 { k -= 1 }
        guard k > s, k < e - 1, p[k] == UInt8(ascii: ":") else { return e }
        if p[s] == UInt8(ascii: "[") { return p[k - 1] == UInt8(ascii: "]") ? k : e }
        // A bare IPv6 address has more colons: leave it alone.
        for j in s..<k where p[j] == UInt8(ascii: ":") { return e }
        return k
    }
}
