/// RFC 3339 times, formatted and parsed without Foundation: the one place the agent (records,
/// command line, query language) and the server (record envelopes) turn times into text and back.
///
/// Two parsing rules exist because two kinds of input exist, and each keeps the accept/reject set
/// its callers always had:
/// - ``parse(_:)`` / ``parseAbsolute(_:)``: times people type (query language, `--from`, `from=`):
///   a date alone is midnight UTC, calendar days and offsets are checked, the result is `Int64`
///   nanoseconds and anything that does not fit is ``Parsed/outOfRange``.
/// - ``recordSeconds(utf8:)``: the `ts` / `agent_ts` of a record envelope: a full date-time only
///   (also with a space or `t` between date and time), seconds as `Double`.
public enum RFC3339 {
    // MARK: Formatting

    /// The formatted text of `nanos`: UTC with nine fractional digits
    /// (`2026-11-23T06:16:54.123456789Z`). Fixed width for years 0000–9999, so the text sorts like
    /// the number; total over `Int64` (the `Int64` range is 1677–2262).
    public static func string(_ nanos: Int64) -> String {
        var bytes: [UInt8] = []
        append(nanos, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the formatted text of `nanos` to `bytes` (the record writer's per-record path).
    public static func append(_ nanos: Int64, to bytes: inout [UInt8]) {
        // `/` and `%` truncate toward zero and cannot overflow for a divisor > 1; the floor
        // adjustments below move by one unit only.
        var seconds = nanos / 1_000_000_000
        var fraction = nanos % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secOfDay = seconds % 86_400
        if secOfDay < 0 { secOfDay += 86_400; days -= 1 }
        let (y, m, d) = CivilCalendar.civil(fromDays: days)
        let year = min(max(y, 0), 9999)
        digits(year, 4, &bytes); bytes.append(UInt8(ascii: "-"))
        digits(m, 2, &bytes); bytes.append(UInt8(ascii: "-"))
        digits(d, 2, &bytes); bytes.append(UInt8(ascii: "T"))
        digits(secOfDay / 3600, 2, &bytes); bytes.append(UInt8(ascii: ":"))
        digits(secOfDay / 60 % 60, 2, &bytes); bytes.append(UInt8(ascii: ":"))
        digits(secOfDay % 60, 2, &bytes); bytes.append(UInt8(ascii: "."))
        digits(fraction, 9, &bytes); bytes.append(UInt8(ascii: "Z"))
    }

    private static func digits(_ value: Int64, _ width: Int, _ bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var v = value, i = start + width - 1
        while v > 0 && i >= start { bytes[i] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10; i -= 1 }
    }

    // MARK: Parsing times people type

    /// What parsing a time gave: a time, a well-formed time that nanoseconds since the epoch in an
    /// `Int64` cannot hold, or no time at all.
    public enum Parsed: Equatable, Sendable {
        case time(Int64)
        case outOfRange
        case invalid
    }

    /// The range every time must fall in: what `Int64` nanoseconds since the epoch can hold.
    public static let rangeDescription = "times must fall between 1677-09-21T00:12:44Z and 2262-04-11T23:47:16Z"

    /// Nanoseconds since the epoch, or nil when `text` is not an RFC 3339 time or a date, or is
    /// outside the range `Int64` nanoseconds hold (``rangeDescription``).
    public static func parse(_ text: String) -> Int64? {
        if case .time(let t) = parseAbsolute(text) { return t }
        return nil
    }

    /// True when `text` is a well-formed RFC 3339 time or date outside the representable range
    /// (so that an error can say "out of range" rather than "not a time").
    public static func isOutOfRange(_ text: String) -> Bool { parseAbsolute(text) == .outOfRange }

    /// Parses `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DD(T|t)HH:MM:SS[.fraction](Z|z|±HH:MM)`
    /// (fractions beyond nanoseconds are truncated). Every step is range-checked: a year such as
    /// 0001 or 2263 is `.outOfRange`, never an arithmetic trap.
    public static func parseAbsolute(_ text: String) -> Parsed {
        let c = Array(text.utf8)
        guard c.count <= 64 else { return .invalid }
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= c.count else { return nil }
            var v = 0
            for k in 0..<digits {
                let d = c[i + k]
                guard d >= 0x30 && d <= 0x39 else { return nil }
                v = v * 10 + Int(d - 0x30)
            }
            i += digits
            return v
        }
        func expect(_ ch: UInt8) -> Bool {
            guard i < c.count, c[i] == ch else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(UInt8(ascii: "-")), let month = number(2), expect(UInt8(ascii: "-")), let day = number(2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return .invalid }
        // Four digits: |seconds| < 10^4 * 366 * 86_400, far inside Int; only the scaling to
        // nanoseconds below can overflow.
        var seconds = CivilCalendar.daysFromCivil(year, month, day) * 86_400
        if i == c.count { return nanoseconds(seconds, 0) }
        guard i < c.count, c[i] == UInt8(ascii: "T") || c[i] == UInt8(ascii: "t") else { return .invalid }
        i += 1
        guard let hour = number(2), expect(UInt8(ascii: ":")), let minute = number(2), expect(UInt8(ascii: ":")), let second = number(2),
              hour < 24, minute < 60, second <= 60 else { return .invalid }
        seconds += hour * 3600 + minute * 60 + second
        var nanos: Int64 = 0
        if i < c.count && c[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < c.count && c[i] >= 0x30 && c[i] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int64(c[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return .invalid }
            if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
        }
        guard i < c.count else { return .invalid }  // RFC 3339 requires an offset
        if c[i] == UInt8(ascii: "Z") || c[i] == UInt8(ascii: "z") {
            i += 1
        } else if c[i] == UInt8(ascii: "+") || c[i] == UInt8(ascii: "-") {
            let sign = c[i] == UInt8(ascii: "+") ? 1 : -1
            i += 1
            guard let oh = number(2), expect(UInt8(ascii: ":")), let om = number(2), oh < 24, om < 60 else { return .invalid }
            seconds -= sign * (oh * 3600 + om * 60)
        } else {
            return .invalid
        }
        guard i == c.count else { return .invalid }
        return nanoseconds(seconds, nanos)
    }

    /// `seconds * 10^9 + nanos`, or `.outOfRange` when `Int64` cannot hold it.
    static func nanoseconds(_ seconds: Int, _ nanos: Int64) -> Parsed {
        let (scaled, o1) = Int64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, o2) = scaled.addingReportingOverflow(nanos)
        return o1 || o2 ? .outOfRange : .time(sum)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // MARK: Parsing record envelopes

    /// Seconds since 1970 of a record's `ts` / `agent_ts`, or nil if not
    /// `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)`.
    ///
    /// The server's rule since the first schema version, kept as is: the day is checked against 31
    /// (not the month's length), a leap second is accepted, the offset's digits are not
    /// range-checked, and the fraction keeps every digit (a `Double`, not nanoseconds). Four-digit
    /// fields bound every value, so nothing here can overflow.
    public static func recordSeconds(utf8 b: UnsafeRawBufferPointer) -> Double? {
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
              b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11, 2), b[13] == 58, let mi = num(14, 2), b[16] == 58,
              let sec = num(17, 2), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count && b[i] == 46 {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 48 && b[i] <= 57 { fraction += Double(b[i] - 48) * scale; scale /= 10; i += 1 }
            if i == start { return nil }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45, let oh = num(i + 1, 2), b.count > i + 3, b[i + 3] == 58, let om = num(i + 4, 2) {
            offset = (oh * 60 + om) * 60 * (b[i] == 43 ? 1 : -1)
            i += 6
        } else { return nil }
        guard i == b.count else { return nil }
        return Double(CivilCalendar.daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset) + fraction
    }

    /// `recordSeconds(utf8:)` of a string.
    public static func recordSeconds(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { recordSeconds(utf8: UnsafeRawBufferPointer($0)) }
    }
}
