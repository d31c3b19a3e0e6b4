/// How a Host header value is reduced to the host name: what counts as a port and whether an IPv6
/// literal keeps its brackets. The one port-stripping rule of AppProtocols, used by
/// ``HTTPMessageParser`` (``HTTPMessageStart/hostName``, form ``messageParser``) and
/// ``HTTPRequestHost`` (the index's `http.host`, form ``tshark``).
///
/// | value               | ``messageParser`` | ``tshark``            |
/// | ------------------- | ----------------- | --------------------- |
/// | `example.com:8080`  | `example.com`     | `example.com`         |
/// | `[ff02::c]:1900`    | `ff02::c`         | `[ff02::c]`           |
/// | `[::1]`             | `::1`             | `[::1]`               |
/// | `host:` / `a:b`     | `host` / `a`      | `host:` / `a:b`       |
/// | `2001:db8::1`       | `2001`            | `2001:db8::1`         |
public struct HTTPHostForm: Sendable, Hashable {
    /// Keep the `[` `]` around an IPv6 literal (`[ff02::c]`, as tshark's `http.host` shows it), or
    /// remove them (`ff02::c`).
    public var keepsBrackets: Bool
    /// Only `:` followed by one or more digits at the end of the value is a port; a value with any
    /// other colon (`host:`, `a:b`, a bare IPv6 address, `[v6]x`) is kept whole. When false,
    /// everything from the first colon (for `[v6]`, everything after the first `]`) is dropped.
    public var numericPortOnly: Bool

    @inlinable
    public init(keepsBrackets: Bool, numericPortOnly: Bool) {
        self.keepsBrackets = keepsBrackets
        self.numericPortOnly = numericPortOnly
    }

    /// ``HTTPMessageStart/hostName`` (the analytics' `http_host`): no port, no brackets.
    public static let messageParser = HTTPHostForm(keepsBrackets: false, numericPortOnly: false)
    /// tshark's `http.host` without its `:port`, what the index stores: brackets kept, only a
    /// numeric port removed.
    public static let tshark = HTTPHostForm(keepsBrackets: true, numericPortOnly: true)

    /// The host part of the Host value `value` (a span of `p`), per this form; `value` itself when
    /// it has no such host part.
    func host(of value: ByteSpan, in p: PayloadBytes) -> ByteSpan {
        let s = value.offset
        let e = value.offset &+ value.length
        guard value.length > 0, p.has(s, value.length) else { return value }
        let bracketed = p.u8(s) == UInt8(ascii: "[")
        // Where the host part ends (its closing bracket included).
        var end = s
        if numericPortOnly {
            var digits = e
            while digits > s, ASCII.isDigit(p.u8(digits - 1)) { digits -= 1 }
            let colon = digits - 1
            end = digits < e && colon > s && p.u8(colon) == ASCII.colon ? colon : e
            if !bracketed {
                // A bare IPv6 address (or anything else with another colon) is not host:port.
                for i in s..<end where p.u8(i) == ASCII.colon { return value }
            }
        } else if bracketed {
            while end < e, p.u8(end) != UInt8(ascii: "]") { end += 1 }
            guard end < e else { return value }
            end += 1
        } else {
            while end < e, p.u8(end) != ASCII.colon { end += 1 }
        }
        guard bracketed else { return ByteSpan(offset: s, length: end - s) }
        guard end - 1 > s, p.u8(end - 1) == UInt8(ascii: "]") else { return value }
        return keepsBrackets ? ByteSpan(offset: s, length: end - s) : ByteSpan(offset: s + 1, length: end - s - 2)
    }
}
