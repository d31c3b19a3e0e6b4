/// Finds the Host header of an HTTP/1.x request starting a TCP or UDP payload, leniently: what the
/// index stores as `http.host`. Allocation-free; never traps, never reads outside `payload`.
///
/// ```swift
/// if let host = HTTPRequestHost.find(in: payload, form: .tshark) { copy(host, of: payload) }
/// ```
///
/// Rules (the same line and field reading as ``HTTPMessageParser``, see `HTTPHeaderLines`, and the
/// same port stripping, ``HTTPHostForm``):
/// - The payload (at least ``minimumLength`` bytes; only its first ``maxScanLength`` are read)
///   starts with a method token of 3–24 characters of `A-Z`, `-`, `_`, followed by a space or the
///   end of the line. Nothing else of the request line is checked.
/// - Lines end in CR LF or a bare LF; only complete lines are read.
/// - Header lines that are not `name: value` fields, and obs-fold continuations, are skipped.
/// - The first `Host` field decides: its trimmed value reduced by `form`; nil when that is empty,
///   or when the header block ends (or the read bytes end) before a Host field.
///
/// Why this differs from ``HTTPMessageParser`` (which needs `METHOD SP target SP HTTP/1.x`, calls
/// a header block with a non-field line `malformed`, and removes IPv6 brackets):
/// - The index is checked against tshark's `http.host` (its tests compare every corpus capture),
///   and tshark reports a Host for request lines the strict parser refuses: a method alone on its
///   line (`OPTIONS`), no target (`OPTIONS HTTP/1.1`), a broken version (`GET / HTTP/1.`,
///   `GET /HTTP/1.1`). Any method token is accepted, on any port, over UDP as well (SSDP, HTTPU).
/// - tshark keeps the brackets of an IPv6 Host (SSDP's `Host:[FF02::C]:1900` is `[ff02::c]` once
///   lowercased) and does not split values like `a:b`: hence form ``HTTPHostForm/tshark``.
/// - The analytics build transactions (method, target, status, body framing) and need a real
///   request line for that, so ``HTTPMessageParser`` stays strict; its Host is
///   ``HTTPMessageStart/hostName`` (form ``HTTPHostForm/messageParser``).
public enum HTTPRequestHost {
    /// Payloads shorter than this are not looked at (no request with a Host header is that short).
    public static let minimumLength = 16
    /// Only the first bytes of the payload are read; a Host line ending later is not found.
    public static let maxScanLength = 16_384
    /// Longest method token accepted.
    public static let maxMethodLength = 24

    /// The host of the first Host header of the request starting `payload`, as a span of
    /// `payload` reduced by `form`; nil when `payload` does not start a request as described above
    /// or has no (non-empty) Host value.
    public static func find(in payload: UnsafeRawBufferPointer, form: HTTPHostForm) -> ByteSpan? {
        let all = PayloadBytes(payload)
        guard all.count >= minimumLength else { return nil }
        let p = PayloadBytes(prefixOf: all, count: maxScanLength)
        // Method token, then a space or the line end (tshark accepts "OPTIONS\n").
        var i = 0
        while i < maxMethodLength, p.has(i, 1), isMethodChar(p.u8(i)) { i += 1 }
        guard i >= 3, p.has(i, 1) else { return nil }
        let after = p.u8(i)
        guard after == ASCII.space || after == ASCII.cr || after == ASCII.lf,
              var line = HTTPHeaderLines.line(p, from: i)?.next else { return nil }
        while true {
            switch HTTPHeaderLines.next(p, at: &line) {
            case .incomplete, .end:
                return nil
            case .continuation, .invalid:
                continue
            case .field(let name, let value):
                guard HTTPHeaderLines.nameIs(p, name, "host") else { continue }
                let host = form.host(of: value, in: p)
                return host.isEmpty ? nil : host
            }
        }
    }

    /// `A-Z`, `-`, `_`: the method characters the index accepts.
    @inline(__always)
    private static func isMethodChar(_ b: UInt8) -> Bool {
        b &- 0x41 < 26 || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
    }
}
