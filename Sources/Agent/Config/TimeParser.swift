import Foundation
import Indexer

/// Parses the time arguments users type: RFC 3339 (`2026-11-23T14:05:00Z`, fractional seconds and
/// offsets allowed), a date alone (`2026-11-23`, UTC midnight), epoch seconds (`1700000000.5`),
/// relative (`15m ago`, `2h ago`) and `now`. Returns nanoseconds since the epoch.
public enum TimeParser {
    public static func parse(_ text: String, now: Date = Date()) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "now" { return nanos(now) }
        if t.hasSuffix(" ago") || t.hasSuffix("ago") {
            let amount = t.dropLast(3).trimmingCharacters(in: .whitespaces)
            guard let s = Units.seconds(amount) else { return nil }
            return nanos(now) - Int64(s * 1e9)
        }
        if let d = Double(t), t.first?.isNumber == true, !t.contains("-") { return Int64(d * 1e9) }
        return rfc3339(t)
    }

    /// RFC 3339 (fractions to the nanosecond, offsets) or a date: the query language's own parser.
    static func rfc3339(_ t: String) -> Int64? { RFC3339.parse(t.replacingOccurrences(of: " ", with: "T")) }

    static func nanos(_ d: Date) -> Int64 { Int64(d.timeIntervalSince1970 * 1e9) }

    /// Formats nanoseconds as RFC 3339 UTC with nanoseconds, e.g. `2026-11-23T14:05:00.123456789Z`.
    public static func format(_ ns: Int64) -> String {
        let secs = ns >= 0 ? ns / 1_000_000_000 : (ns - 999_999_999) / 1_000_000_000
        let frac = ns - secs * 1_000_000_000
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        let base = f.string(from: Date(timeIntervalSince1970: TimeInterval(secs)))
        let fs = String(frac)
        return base.dropLast() + "." + String(repeating: "0", count: 9 - fs.count) + fs + "Z"
    }
}
