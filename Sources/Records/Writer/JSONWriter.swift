import TimeFormat

/// Appends one JSON object to a reusable byte buffer, field by field, without Foundation.
///
/// Keys are trusted ASCII literals; string values are escaped (quote, backslash, every control
/// byte, DEL, U+2028/U+2029), so any Swift string, including names decoded from hostile packets,
/// yields valid JSON. (Swift strings are always valid Unicode: invalid UTF-8 from the wire was
/// already replaced by U+FFFD when the string was made.)
public struct JSONWriter {
    /// The encoded bytes.
    public var bytes: [UInt8] = []
    /// Whether the next member needs a comma, one bit per nesting level (bit `depth - 1` for the
    /// innermost): a bit mask rather than an array keeps the per-member bookkeeping off the heap.
    private var commaBits: UInt64 = 0
    /// Open objects and arrays (at most 64).
    private var depth = 0

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    /// Empties the buffer, keeping its capacity.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        commaBits = 0
        depth = 0
    }

    /// Empties the buffer and continues an object whose opening and first members were written
    /// elsewhere: the next member starts with a comma. (``RecordEncoder/beginTail(ts:agentTs:)``:
    /// a record body encoded apart from its envelope head.)
    public mutating func resumeObject() {
        reset()
        depth = 1
        commaBits = 1
    }

    // MARK: structure

    /// Opens and closes objects and arrays (nesting up to 64 levels).
    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        depth += 1
        commaBits &= ~(1 << UInt64(depth - 1))
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        depth -= 1
    }

    /// Writes `"key":` (the value follows).
    public mutating func key(_ key: StaticString) {
        let bit: UInt64 = 1 << UInt64(depth - 1)
        let comma = commaBits & bit != 0
        key.withUTF8Buffer { name in
            // One capacity check for the whole `,"name":`.
            bytes.reserveCapacity(bytes.count + name.count + 4)
            if comma { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: name)
            bytes.append(UInt8(ascii: "\""))
            bytes.append(UInt8(ascii: ":"))
        }
        // The value written next must not be preceded by a comma; the member after it must.
        commaBits &= ~bit
    }

    // MARK: values (inside an array or after `key`)

    /// A string, escaped.
    public mutating func value(_ s: String) {
        separate()
        appendEscaped(s)
    }

    /// Integers, in decimal.
    public mutating func value(_ n: Int64) {
        separate()
        if n < 0 {
            bytes.append(UInt8(ascii: "-"))
            appendDigits(n == .min ? UInt64(Int64.max) + 1 : UInt64(-n))
        } else {
            appendDigits(UInt64(n))
        }
    }

    public mutating func value(_ n: UInt64) { separate(); appendDigits(n) }
    public mutating func value(_ n: Int) { value(Int64(n)) }

    public mutating func value(_ b: Bool) {
        separate()
        bytes.append(contentsOf: b ? [0x74, 0x72, 0x75, 0x65] : [0x66, 0x61, 0x6C, 0x73, 0x65])
    }

    /// A finite double with up to 6 decimals (non-finite values are written as 0).
    public mutating func value(_ d: Double) {
        separate()
        guard d.isFinite else { bytes.append(UInt8(ascii: "0")); return }
        let scaled = (abs(d) * 1_000_000).rounded()
        if d < 0 && scaled > 0 { bytes.append(UInt8(ascii: "-")) }
        let whole = UInt64(min(scaled, 9.2e18)) // bounded: ratios and rates only
        appendDigits(whole / 1_000_000)
        var frac = whole % 1_000_000
        guard frac != 0 else { return }
        bytes.append(UInt8(ascii: "."))
        var digits = 6
        while frac % 10 == 0 { frac /= 10; digits -= 1 }
        var buf = [UInt8](repeating: UInt8(ascii: "0"), count: digits)
        var i = digits - 1
        while frac > 0 { buf[i] = UInt8(ascii: "0") + UInt8(frac % 10); frac /= 10; i -= 1 }
        bytes.append(contentsOf: buf)
    }

    /// Packet or agent time as an RFC 3339 UTC string with nanoseconds.
    public mutating func timestamp(_ nanos: Int64) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        RFC3339.append(nanos, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// An IPv4 address as a dotted-quad string, written straight into the buffer (the common case,
    /// per record; other addresses are written as their text with ``value(_:)-(String)``).
    public mutating func value(ipv4 v4: UInt32) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        appendDottedQuad(v4)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A service id: `10.0.0.5:443/tcp` when `ipv4` is given, else `[host]:53/udp` with `host` the
    /// address's text. The record field types (addresses, service keys) live with the analytics;
    /// their writers (`JSONWriter+Analytics.swift`) call this.
    public mutating func value(serviceIPv4 ipv4: UInt32?, host: @autoclosure () -> String, port: UInt16, transport: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        if let ipv4 {
            appendDottedQuad(ipv4)
        } else {
            bytes.append(UInt8(ascii: "["))
            bytes.append(contentsOf: host().utf8)
            bytes.append(UInt8(ascii: "]"))
        }
        bytes.append(UInt8(ascii: ":"))
        appendDigits(UInt64(port))
        bytes.append(UInt8(ascii: "/"))
        bytes.append(contentsOf: transport.utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    /// A 64-bit id as a string of 16 lower-case hex digits.
    public mutating func value(hex v: UInt64) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for i in 0..<16 { bytes.append(Self.hex[Int((v >> UInt64(60 - 4 * i)) & 0xF)]) }
        bytes.append(UInt8(ascii: "\""))
    }

    // MARK: members (key + value)

    /// `"key":value` members.
    public mutating func field(_ k: StaticString, _ v: String) { key(k); value(v) }
    public mutating func field(_ k: StaticString, _ v: Int64) { key(k); value(v) }
    public mutating func field(_ k: StaticString, _ v: UInt64) { key(k); value(v) }
    public mutating func field(_ k: StaticString, _ v: Int) { key(k); value(v) }
    public mutating func field(_ k: StaticString, _ v: Bool) { key(k); value(v) }
    public mutating func field(_ k: StaticString, _ v: Double) { key(k); value(v) }
    public mutating func time(_ k: StaticString, _ nanos: Int64) { key(k); timestamp(nanos) }

    /// A string member, omitted when empty.
    public mutating func optional(_ k: StaticString, _ v: String) { if !v.isEmpty { field(k, v) } }
    /// A duration member in whole microseconds, omitted when negative ("not measured").
    public mutating func micros(_ k: StaticString, _ nanos: Int64) { if nanos >= 0 { field(k, nanos / 1000) } }

    /// Ends the record line.
    public mutating func newline() { bytes.append(0x0A) }

    // MARK: internals

    @inline(__always)
    private mutating func separate() {
        guard depth > 0 else { return }
        let bit: UInt64 = 1 << UInt64(depth - 1)
        if commaBits & bit != 0 { bytes.append(UInt8(ascii: ",")) } else { commaBits |= bit }
    }

    private mutating func appendDottedQuad(_ v4: UInt32) {
        appendDigits(UInt64(v4 >> 24)); bytes.append(UInt8(ascii: "."))
        appendDigits(UInt64((v4 >> 16) & 0xFF)); bytes.append(UInt8(ascii: "."))
        appendDigits(UInt64((v4 >> 8) & 0xFF)); bytes.append(UInt8(ascii: "."))
        appendDigits(UInt64(v4 & 0xFF))
    }

    private mutating func appendDigits(_ n: UInt64) {
        if n < 10 { bytes.append(UInt8(ascii: "0") + UInt8(n)); return }
        // Digits right to left into a stack tuple, then one append.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes ≥ 20 digits of UInt64.max
        withUnsafeMutableBytes(of: &digits) { raw in
            var i = 24, v = n
            while v > 0 { i -= 1; raw[i] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10 }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[i...]))
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether a byte needs the slow path of ``appendEscaped(_:)``.
    @inline(__always)
    private static func isSpecial(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F || b == 0xE2
    }

    private mutating func appendEscaped(_ s: String) {
        // Fast path: most names need no escaping; copy them in one append.
        var string = s
        let done: Bool = string.withUTF8 { buffer in
            for b in buffer where Self.isSpecial(b) { return false }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: buffer)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if done { return }
        bytes.append(UInt8(ascii: "\""))
        var utf8 = s.utf8.makeIterator()
        while let b = utf8.next() {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20, 0x7F: appendUnicodeEscape(UInt16(b))
            case 0xE2:
                // U+2028/U+2029 (E2 80 A8/A9) are valid JSON but break JavaScript line parsing.
                let b2 = utf8.next(), b3 = utf8.next()
                if b2 == 0x80, let b3, b3 == 0xA8 || b3 == 0xA9 {
                    appendUnicodeEscape(0x2000 | UInt16(b3 - 0xA8 + 0x28))
                } else {
                    bytes.append(b)
                    if let b2 { bytes.append(b2) }
                    if let b3 { bytes.append(b3) }
                }
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendUnicodeEscape(_ u: UInt16) {
        bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"),
                                  Self.hex[Int(u >> 12)], Self.hex[Int((u >> 8) & 0xF)],
                                  Self.hex[Int((u >> 4) & 0xF)], Self.hex[Int(u & 0xF)]])
    }
}
