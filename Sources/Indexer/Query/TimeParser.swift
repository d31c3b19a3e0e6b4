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

    /// Parses an absolute time; nil when `text` is not one.
    static func absolute(_ text: String) -> Int64? {
        let c = Array(text.utf8)
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
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        var seconds = daysFromCivil(year, month, day) * 86_400
        if i == c.count { return Int64(seconds) * 1_000_000_000 }
        guard i < c.count, c[i] == UInt8(ascii: "T") || c[i] == UInt8(ascii: "t") else { return nil }
        i += 1
        guard let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
              hour < 24, minute < 60, second <= 60 else { return nil }
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
            guard digits > 0 else { return nil }
            if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
        }
        guard i < c.count else { return nil }  // RFC 3339 requires an offset
        if c[i] == UInt8(ascii: "Z") || c[i] == UInt8(ascii: "z") {
            i += 1
        } else if c[i] == UInt8(ascii: "+") || c[i] == UInt8(ascii: "-") {
            let sign = c[i] == UInt8(ascii: "+") ? 1 : -1
            i += 1
            guard let oh = number(2), expect(":"), let om = number(2), oh < 24, om < 60 else { return nil }
            seconds -= sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == c.count else { return nil }
        return Int64(seconds) * 1_000_000_000 + nanos
    }

    /// `15m` -> 15 minutes in nanoseconds (for `15m ago`); nil when not a duration.
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
        return value * scale * 1_000_000_000
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
    /// Nanoseconds since the epoch, or nil when `text` is not an RFC 3339 time or a date.
    public static func parse(_ text: String) -> Int64? { TimeParser.absolute(text) }
}
