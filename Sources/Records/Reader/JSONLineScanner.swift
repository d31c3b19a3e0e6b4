import Foundation

/// Where one top-level value of a JSON object line is, and what kind of value it is.
/// Offsets index the line's bytes.
struct JSONValueRef: Sendable {
    enum Kind: UInt8, Sendable { case absent, string, number, bool, null, object, array }
    var kind: Kind = .absent
    /// First byte of the value; for a string, the byte after the opening quote.
    var start = 0
    /// One past the value's last byte; for a string, the closing quote.
    var end = 0
    /// A string that must be decoded (backslash escapes, or a byte order mark that decoding drops), or `true` for a bool.
    var flag = false
}

/// The JSON text is not a valid object (RFC 8259, with the same leniencies as Foundation's
/// `JSONSerialization`: one trailing comma per object or array, a UTF-8 byte order mark at the start).
struct JSONSyntaxError: Error, Sendable {}

/// A validating, allocation-free scanner of one JSON object held in a byte buffer. It checks the
/// whole text (UTF-8, escapes, surrogate pairs, number grammar and range, nesting up to 512 levels)
/// and reports where the values of the top-level keys it is asked about are, without building
/// anything. When a key occurs twice, the last occurrence wins (as with `JSONSerialization`).
struct JSONLineScanner {
    static let maxDepth = 512
    let bytes: UnsafeRawBufferPointer
    private var i = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Scans the object; `field(key)` maps a top-level key (its raw bytes between the quotes, and
    /// whether they contain escapes) to a slot index of `values`, or nil for keys of no interest.
    mutating func scanObject(into values: inout [JSONValueRef],
                             field: (UnsafeRawBufferPointer, _ escaped: Bool) -> Int?) throws(JSONSyntaxError) {
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        skipWhitespace()
        try expect(UInt8(ascii: "{"))
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            i += 1
        } else {
            while true {
                try expect(UInt8(ascii: "\""))
                let key = try scanString()
                let slot = field(UnsafeRawBufferPointer(rebasing: bytes[key.start..<key.end]), key.flag)
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                let value = try scanValue(depth: 1)
                if let slot { values[slot] = value }
                skipWhitespace()
                if try closes(UInt8(ascii: "}")) { break }
            }
        }
        skipWhitespace()
        guard i == bytes.count else { throw JSONSyntaxError() }
    }

    // MARK: Values

    private mutating func scanValue(depth: Int) throws(JSONSyntaxError) -> JSONValueRef {
        guard i < bytes.count else { throw JSONSyntaxError() }
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "\""):
            i += 1
            return try scanString()
        case UInt8(ascii: "{"):
            try skipContainer(object: true, depth: depth + 1)
            return JSONValueRef(kind: .object, start: start, end: i)
        case UInt8(ascii: "["):
            try skipContainer(object: false, depth: depth + 1)
            return JSONValueRef(kind: .array, start: start, end: i)
        case UInt8(ascii: "t"):
            try literal("true")
            return JSONValueRef(kind: .bool, start: start, end: i, flag: true)
        case UInt8(ascii: "f"):
            try literal("false")
            return JSONValueRef(kind: .bool, start: start, end: i, flag: false)
        case UInt8(ascii: "n"):
            try literal("null")
            return JSONValueRef(kind: .null, start: start, end: i)
        default:
            try scanNumber()
            return JSONValueRef(kind: .number, start: start, end: i)
        }
    }

    /// Skips a nested object or array (`i` at its opening bracket).
    private mutating func skipContainer(object: Bool, depth: Int) throws(JSONSyntaxError) {
        guard depth <= Self.maxDepth else { throw JSONSyntaxError() }
        i += 1
        skipWhitespace()
        if try closesEmpty(object ? UInt8(ascii: "}") : UInt8(ascii: "]")) { return }
        while true {
            if object {
                try expect(UInt8(ascii: "\""))
                _ = try scanString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
            }
            _ = try scanValue(depth: depth)
            skipWhitespace()
            if try closes(object ? UInt8(ascii: "}") : UInt8(ascii: "]")) { return }
        }
    }

    /// After a member: `,` (optionally followed by the closer: trailing comma) or the closer.
    /// True when the container is closed.
    private mutating func closes(_ closer: UInt8) throws(JSONSyntaxError) -> Bool {
        guard i < bytes.count else { throw JSONSyntaxError() }
        if bytes[i] == closer { i += 1; return true }
        guard bytes[i] == UInt8(ascii: ",") else { throw JSONSyntaxError() }
        i += 1
        skipWhitespace()
        if peek() == closer { i += 1; return true }
        return false
    }

    private mutating func closesEmpty(_ closer: UInt8) throws(JSONSyntaxError) -> Bool {
        guard i < bytes.count else { throw JSONSyntaxError() }
        if bytes[i] == closer { i += 1; return true }
        return false
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw JSONSyntaxError() }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw JSONSyntaxError() }
        i += n
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, finite as a Double.
    private mutating func scanNumber() throws(JSONSyntaxError) {
        let start = i
        if peek() == UInt8(ascii: "-") { i += 1 }
        guard let first = peek(), isDigit(first) else { throw JSONSyntaxError() }
        i += 1
        if first != UInt8(ascii: "0") { while let d = peek(), isDigit(d) { i += 1 } }
        var exponent = false
        if peek() == UInt8(ascii: ".") {
            i += 1
            try digits()
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            exponent = true
            i += 1
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { i += 1 }
            try digits()
        }
        // Only an exponent or a very long mantissa can overflow a Double (JSONSerialization rejects those).
        if exponent || i - start > 300 {
            guard JSONNumber.double(UnsafeRawBufferPointer(rebasing: bytes[start..<i])) != nil else { throw JSONSyntaxError() }
        }
    }

    private mutating func digits() throws(JSONSyntaxError) {
        guard let d = peek(), isDigit(d) else { throw JSONSyntaxError() }
        i += 1
        while let d = peek(), isDigit(d) { i += 1 }
    }

    // MARK: Strings

    /// `i` just after the opening quote; validates up to and past the closing quote.
    private mutating func scanString() throws(JSONSyntaxError) -> JSONValueRef {
        let start = i
        var escaped = startsWithByteOrderMark(i)
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                i += 1
                return JSONValueRef(kind: .string, start: start, end: i - 1, flag: escaped)
            } else if c == UInt8(ascii: "\\") {
                escaped = true
                try scanEscape()
            } else if c < 0x20 {
                throw JSONSyntaxError()
            } else if c < 0x80 {
                i += 1
            } else {
                try scanMultibyte()
            }
        }
        throw JSONSyntaxError()
    }

    /// `i` at a backslash.
    private mutating func scanEscape() throws(JSONSyntaxError) {
        guard i + 1 < bytes.count else { throw JSONSyntaxError() }
        switch bytes[i + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            i += 2
        case UInt8(ascii: "u"):
            guard let unit = JSONString.hex4(bytes, i + 2) else { throw JSONSyntaxError() }
            i += 6
            if unit >= 0xDC00 && unit <= 0xDFFF { throw JSONSyntaxError() }
            if unit >= 0xD800 && unit <= 0xDBFF {
                guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                      let low = JSONString.hex4(bytes, i + 2), low >= 0xDC00 && low <= 0xDFFF else { throw JSONSyntaxError() }
                i += 6
            }
        default:
            throw JSONSyntaxError()
        }
    }

    /// `i` at a byte ≥ 0x80: one well-formed UTF-8 sequence (no overlong forms, no surrogates, ≤ U+10FFFF).
    private mutating func scanMultibyte() throws(JSONSyntaxError) {
        let c = bytes[i]
        let count: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch c {
        case 0xC2...0xDF: count = 2
        case 0xE0: count = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 3
        case 0xED: count = 3; high = 0x9F
        case 0xF0: count = 4; low = 0x90
        case 0xF1...0xF3: count = 4
        case 0xF4: count = 4; high = 0x8F
        default: throw JSONSyntaxError()
        }
        guard i + count <= bytes.count, bytes[i + 1] >= low && bytes[i + 1] <= high else { throw JSONSyntaxError() }
        for k in 2..<max(2, count) where bytes[i + k] & 0xC0 != 0x80 { throw JSONSyntaxError() }
        i += count
    }

    // MARK: Bytes

    /// `JSONSerialization` drops a UTF-8 byte order mark that starts a string, or the text after an escape in one.
    private func startsWithByteOrderMark(_ at: Int) -> Bool {
        at + 2 < bytes.count && bytes[at] == 0xEF && bytes[at + 1] == 0xBB && bytes[at + 2] == 0xBF
    }

    private func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private mutating func expect(_ c: UInt8) throws(JSONSyntaxError) {
        guard i < bytes.count, bytes[i] == c else { throw JSONSyntaxError() }
        i += 1
    }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }
}

/// Decoding of JSON strings the scanner validated.
enum JSONString {
    /// The value of 4 hex digits at `at`, or nil.
    static func hex4(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32? {
        guard at + 4 <= b.count else { return nil }
        var v: UInt32 = 0
        for k in at..<(at + 4) {
            let c = b[k]
            let d: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// Appends the UTF-8 of the (validated) string body `raw` with its escapes decoded. As with
    /// `JSONSerialization`, a byte order mark that starts the string or follows an escape is dropped.
    static func unescape(_ raw: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var i = 0
        var chunkStart = true
        while i < raw.count {
            let c = raw[i]
            if chunkStart && c == 0xEF && i + 2 < raw.count && raw[i + 1] == 0xBB && raw[i + 2] == 0xBF { i += 3; chunkStart = false; continue }
            chunkStart = false
            guard c == UInt8(ascii: "\\"), i + 1 < raw.count else { out.append(c); i += 1; continue }
            chunkStart = true
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                // The scanner validated the escape (four hex digits; a high surrogate is followed by
                // `\u` and a low one): the fallbacks are never taken on its output, they only keep a
                // string it did not validate from trapping.
                var scalar = hex4(raw, i) ?? 0xFFFD
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF, let low = hex4(raw, i + 2), low >= 0xDC00 && low <= 0xDFFF {
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                appendUTF8(scalar, to: &out)
            default: out.append(e)   // " \ /
            }
        }
    }

    static func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
        switch s {
        case 0..<0x80: out.append(UInt8(s))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | s >> 6)); out.append(UInt8(0x80 | s & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | s >> 12)); out.append(UInt8(0x80 | s >> 6 & 0x3F)); out.append(UInt8(0x80 | s & 0x3F))
        default:
            out.append(UInt8(0xF0 | s >> 18)); out.append(UInt8(0x80 | s >> 12 & 0x3F))
            out.append(UInt8(0x80 | s >> 6 & 0x3F)); out.append(UInt8(0x80 | s & 0x3F))
        }
    }
}

/// Conversion of JSON number text to Double, as `JSONSerialization` (`NSNumber.fromJSONNumber`,
/// then `doubleValue`) gives it.
enum JSONNumber {
    private static let exactPowersOfTen: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { r, _ in r * 10 } }

    /// The value of a (grammatically valid) JSON number; nil when `JSONSerialization` rejects it (out of range).
    static func double(_ text: UnsafeRawBufferPointer) -> Double? {
        // Fast path: ≤ 15 digits, no exponent. Exact, as Foundation's Int64 / correctly rounded Double.
        var mantissa: UInt64 = 0, digits = 0, scale = 0, i = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative { i = 1 }
        while i < text.count, text[i] >= UInt8(ascii: "0") && text[i] <= UInt8(ascii: "9") {
            mantissa = mantissa &* 10 &+ UInt64(text[i] - UInt8(ascii: "0")); digits += 1; i += 1
        }
        if i < text.count && text[i] == UInt8(ascii: ".") {
            i += 1
            while i < text.count, text[i] >= UInt8(ascii: "0") && text[i] <= UInt8(ascii: "9") {
                mantissa = mantissa &* 10 &+ UInt64(text[i] - UInt8(ascii: "0")); digits += 1; scale -= 1; i += 1
            }
        }
        if i == text.count && digits <= 15 {
            if scale == 0 && mantissa == 0 { return 0 }   // "-0" is the integer 0
            let m = Double(mantissa)
            let v = scale == 0 ? m : m / exactPowersOfTen[-scale]
            return negative ? -v : v
        }
        return foundationValue(String(decoding: text, as: UTF8.self))
    }

    /// `NSNumber.fromJSONNumber(text)?.doubleValue`, step by step (rare: long or exponent numbers).
    private static func foundationValue(_ text: String) -> Double? {
        let decimalPoint = text.firstIndex(of: ".")
        let exponentMark = text.firstIndex(of: "e")   // lowercase only, as Foundation looks for it
        let digitCount = text[..<(exponentMark ?? text.endIndex)].count
        if decimalPoint == nil && exponentMark == nil {
            if text.hasPrefix("-") {
                if digitCount <= 19, let v = Int64(text) { return Double(v) }
            } else if digitCount <= 20, let v = UInt64(text) {
                return Double(v)
            }
        }
        var exponent = 0
        if let e = exponentMark, let parsed = Int(text[text.index(after: e)...]) { exponent = parsed }
        if digitCount > 17 && exponent >= -128 && exponent <= 127, let decimal = Decimal(string: text), decimal.isFinite {
            return NSDecimalNumber(decimal: decimal).doubleValue
        }
        guard let d = Double(text), d.isFinite else { return nil }
        return d
    }
}
