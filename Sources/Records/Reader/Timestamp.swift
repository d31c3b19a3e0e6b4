import Foundation
import TimeFormat

/// Record times as the server reads and shows them: seconds since 1970 as `Double`.
public enum Timestamp {
    /// Seconds since 1970, or nil if not `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`: the record
    /// envelope's rule (``RFC3339/recordSeconds(utf8:)``).
    public static func parse(_ s: String) -> Double? { RFC3339.recordSeconds(s) }

    /// `parse(_:)` of UTF-8 text.
    public static func parse(utf8 b: UnsafeRawBufferPointer) -> Double? { RFC3339.recordSeconds(utf8: b) }

    /// Seconds since 1970 as RFC 3339 UTC with milliseconds, for the server's HTTP answers. Left to
    /// Foundation on purpose: its rounding of the milliseconds, its Julian calendar before 1582 and
    /// its text for non-finite values are what the answers have always carried; a pure-Swift copy
    /// would change them at the edges.
    public static func format(_ t: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}
