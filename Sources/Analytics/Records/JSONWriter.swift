import PacketDecoding

/// Appends one JSON object to a reusable byte buffer, field by field, without Foundation.
///
/// Keys are trusted ASCII literals; string values are escaped (quote, backslash, every control
/// byte, DEL, U+2028/U+2029), so any Swift string, including names decoded from hostile packets,
/// yields valid JSON. (Swift strings are always valid Unicode: invalid UTF-8 from the wire was
/// already replaced by U+FFFD when the string was made.)
public struct JSONWriter {
    /// The encoded bytes.
    public var bytes: [UInt8] = []
    /// Whether the next member needs a comma, per nesting level.
    private var needsComma: [Bool] = []

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    /// Empties the buffer, keeping its capacity.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma.removeAll(keepingCapacity: true)
    }

    // MARK: structure

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma.append(false) }
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma.removeLast() }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma.append(false) }
    public mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma.removeLast() }

    /// Writes `"key":` (the value follows).
    public mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        // The value written next must not be preceded by a comma.
        needsComma[needsComma.count - 1] = false
    }

    // MARK: values (inside an array or after `key`)

    public mutating func value(_ s: String) {
        separate()
        appendEscaped(s)
    }

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

    public mutating func value(_ address: IPAddress) { value(address.description) }

    // MARK: members (key + value)

    public mutating func field(_ k: StaticString, _ v: String) { key(k); value(v) }
    public mutating func field(_ k: StaticString, _ v: Int64) { key(k); value(v) }
    public mutating func field(_ k: StaticString, _ v: UInt64) { key(k); value(v) }
    public mutating func field(_ k: StaticString, _ v: Int) { key(k); value(v) }
    public mutating func field(_ k: StaticString, _ v: Bool) { key(k); value(v) }
    public mutating func field(_ k: StaticString, _ v: Double) { key(k); value(v) }
    public mutating func field(_ k: StaticString, _ v: IPAddress) { key(k); value(v) }
    public mutating func time(_ k: StaticString, _ nanos: Int64) { key(k); timestamp(nanos) }

    /// A string member, omitted when empty.
    public mutating func optional(_ k: StaticString, _ v: String) { if !v.isEmpty { field(k, v) } }
    /// A duration member in whole microseconds, omitted when negative ("not measured").
    public mutating func micros(_ k: StaticString, _ nanos: Int64) { if nanos >= 0 { field(k, nanos / 1000) } }

    /// Ends the record line.
    public mutating func newline() { bytes.append(0x0A) }

    // MARK: internals

    private mutating func separate() {
        guard let last = needsComma.last else { return }
        if last { bytes.append(UInt8(ascii: ",")) } else { needsComma[needsComma.count - 1] = true }
    }

    private mutating func appendDigits(_ n: UInt64) {
        if n < 10 { bytes.append(UInt8(ascii: "0") + UInt8(n)); return }
        var digits: (UInt64, Int) = (n, 0)
        var tmp = n
        while tmp > 0 { tmp /= 10; digits.1 += 1 }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits.1))
        var i = start + digits.1 - 1
        var v = digits.0
        while v > 0 { bytes[i] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10; i -= 1 }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendEscaped(_ s: String) {
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
