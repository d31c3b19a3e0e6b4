/// Finds the Host header of an HTTP/1.x request at the start of a TCP (or UDP: SSDP) payload.
///
/// The payload must start with a method token (3–24 characters of `A-Z`, `-`, `_`) followed by a
/// space or the end of the line, which is cheap to reject for the vast majority of payloads; lines
/// may end in CR LF or a bare LF (as tshark accepts). The Host value is stored lowercased and
/// without a `:port` suffix. Unlike tshark, any method token and any TCP port are accepted.
enum HTTPHostName {
    static func find(in payload: UnsafeRawBufferPointer, into out: inout NameScratch) -> Bool {
        let n = min(payload.count, 16_384)
        guard n >= 16 else { return false }
        // Method token.
        var i = 0
        while i < n && i < 24 {
            let c = payload[i]
            if (c >= 0x41 && c <= 0x5A) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") { i += 1 } else { break }
        }
        // The method is followed by a space or ends the line (tshark accepts "OPTIONS\n").
        guard i >= 3, i < n, payload[i] == 0x20 || payload[i] == 0x0D || payload[i] == 0x0A else { return false }
        guard let (_, next) = lineEnd(payload, from: i, limit: n) else { return false }
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
