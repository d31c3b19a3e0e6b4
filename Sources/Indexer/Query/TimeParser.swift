#if canImport(Glibc)
import Glibc
#endif

/// Times in queries: RFC 3339 (`2026-11-23T14:05:00Z`, `2026-11-23T15:05:00.5+01:00`), a date
/// (`2026-11-23`, midnight UTC), `now`, or relative (`15m ago`: units s, m, h, d, w).
enum TimeParser {
    /// The current time in nanoseconds since the epoch.
    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// What parsing a time gave: a time, a well-formed time that nanoseconds since the epoch in an
    /// `Int64` cannot hold, or no time at all.
    enum Parsed: Equatable {
        case time(Int64)
        case outOfRange
        case invalid
    }

    /// The range every time must fall in: what `Int64` nanoseconds since the epoch can hold.
    static let rangeDescription = "times must fall between 1677-09-21T00:12:44Z and 2262-04-11T23:47:16Z"

    /// Parses an absolute time; nil when `text` is not one or is out of range.
    static func absolute(_ text: String) -> Int64? {
        if case .time(let t) = parseAbsolute(text) { return t }
        return nil
    }

    /// Parses an absolute time. Every step is range-checked: a year such as 0001 or 2263 is
    /// `.outOfRange`, never an arithmetic trap.
    static func parseAbsolute(_ text: String) -> Parsed {
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
        func expect(_ ch: Character) -> Bool {
            guard i < c.count, Character(UnicodeScalar(c[i])) == ch else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return .invalid }
        // Four digits: |seconds| < 10^4 * 366 * 86_400, far inside Int; only the scaling to
        // nanoseconds below can overflow.
        var seconds = daysFromCivil(year, month, day) * 86_400
        if i == c.count { return nanoseconds(seconds, 0) }
        guard i < c.count, c[i] == UInt8(ascii: "T") || c[i] == UInt8(ascii: "t") else { return .invalid }
        i += 1
        guard let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
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
            guard let oh = number(2), expect(":"), let om = number(2), oh < 24, om < 60 else { return .invalid }
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

    /// `now - duration`, or nil when it falls before the earliest representable time.
    static func ago(_ duration: Int64, from now: Int64) -> Int64? {
        let (t, overflow) = now.subtractingReportingOverflow(duration)
        return overflow ? nil : t
    }

    /// `15m` -> 15 minutes in nanoseconds (for `15m ago`); nil when not a duration or longer than
    /// `Int64` nanoseconds hold (about 292 years).
    static func duration(_ text: String) -> Int64? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value >= 0, value < 1 << 32 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        case "w": scale = 604_800
        default: return nil
        }
        let (seconds, o1) = value.multipliedReportingOverflow(by: scale)
        let (nanos, o2) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return o1 || o2 ? nil : nanos
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

/// RFC 3339 times as the query language reads them, for the agent's other time arguments
/// (`--from`, `from=`), so that one parser serves both.
public enum RFC3339 {
    /// Nanoseconds since the epoch, or nil when `text` is not an RFC 3339 time or a date, or is
    /// outside the range `Int64` nanoseconds hold (``rangeDescription``).
    public static func parse(_ text: String) -> Int64? { TimeParser.absolute(text) }

    /// True when `text` is a well-formed RFC 3339 time or date outside the representable range
    /// (so that an error can say "out of range" rather than "not a time").
    public static func isOutOfRange(_ text: String) -> Bool { TimeParser.parseAbsolute(text) == .outOfRange }

    /// The representable range, in words, for error messages.
    public static var rangeDescription: String { TimeParser.rangeDescription }
}
