import Foundation
import TimeFormat

/// Parses the time arguments users type: RFC 3339 (`2026-11-23T14:05:00Z`, fractional seconds and
/// offsets allowed), a date alone (`2026-11-23`, UTC midnight), epoch seconds (`1700000000.5`),
/// relative (`15m ago`, `2h ago`) and `now`. Returns nanoseconds since the epoch.
///
/// Every value is range-checked: what nanoseconds since the epoch in an `Int64` cannot hold
/// (years before 1677 or after 2262, `1e11` epoch seconds, `99999999999d ago`) is an error that
/// says so, never an arithmetic trap.
public enum TimeParser {
    /// Why a text is not a usable time.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Reason: Sendable, Equatable {
            case malformed
            case outOfRange
        }
        public var reason: Reason
        public var text: String
        public var description: String {
            let shown = text.count > 64 ? String(text.prefix(64)) + "…" : text
            switch reason {
            case .malformed: return "'\(shown)' is not a time (RFC 3339, epoch seconds, or e.g. '15m ago')"
            case .outOfRange: return "'\(shown)' is out of range: \(RFC3339.rangeDescription)"
            }
        }
    }

    /// Nanoseconds since the epoch, or nil when `text` is not a time or is out of range.
    public static func parse(_ text: String, now: Date = Date()) -> Int64? { try? value(text, now: now) }

    /// Nanoseconds since the epoch; throws a ``Failure`` that says whether `text` is malformed or
    /// out of range.
    public static func value(_ text: String, now: Date = Date()) throws(Failure) -> Int64 {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.utf8.count <= 64 else { throw Failure(reason: .malformed, text: text) }
        if t == "now" { return nanos(now) }
        if t.hasSuffix("ago") {
            let amount = t.dropLast(3).trimmingCharacters(in: .whitespaces)
            guard let s = Units.seconds(amount) else {
                // A number with a unit that is merely too large is out of range, not malformed.
                if Units.seconds(amount, limit: .infinity) != nil { throw Failure(reason: .outOfRange, text: text) }
                throw Failure(reason: .malformed, text: text)
            }
            let (v, overflow) = nanos(now).subtractingReportingOverflow(Int64((s * 1e9).rounded()))
            if overflow { throw Failure(reason: .outOfRange, text: text) }
            return v
        }
        if let first = t.utf8.first, first >= 0x30 && first <= 0x39, !t.contains("-") {
            return try epochSeconds(t, original: text)
        }
        let rfc = t.replacingOccurrences(of: " ", with: "T")
        if let v = RFC3339.parse(rfc) { return v }
        throw Failure(reason: RFC3339.isOutOfRange(rfc) ? .outOfRange : .malformed, text: text)
    }

    /// `SECONDS[.FRACTION]`, exact to the nanosecond (no detour through `Double`).
    static func epochSeconds(_ t: String, original: String) throws(Failure) -> Int64 {
        let parts = t.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        func digits<S: StringProtocol>(_ s: S) -> Bool { s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard !whole.isEmpty, digits(whole), digits(fraction), parts.count == 1 || !fraction.isEmpty else {
            throw Failure(reason: .malformed, text: original)
        }
        guard let seconds = Int64(whole) else { throw Failure(reason: .outOfRange, text: original) }
        var nanos: Int64 = 0
        for (k, d) in fraction.utf8.enumerated() where k < 9 { nanos = nanos * 10 + Int64(d - 0x30) }
        for _ in min(fraction.utf8.count, 9)..<9 { nanos *= 10 }
        let (scaled, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, o2) = scaled.addingReportingOverflow(nanos)
        if o1 || o2 { throw Failure(reason: .outOfRange, text: original) }
        return sum
    }

    static func nanos(_ d: Date) -> Int64 {
        let ns = d.timeIntervalSince1970 * 1e9
        return ns.isFinite && abs(ns) < 9.2e18 ? Int64(ns) : 0
    }

    /// Formats nanoseconds as RFC 3339 UTC with nanoseconds, e.g. `2026-11-23T14:05:00.123456789Z`
    /// (``RFC3339/string(_:)``; total over `Int64`).
    public static func format(_ ns: Int64) -> String { RFC3339.string(ns) }
}
