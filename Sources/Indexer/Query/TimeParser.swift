import SystemIO
import TimeFormat

/// Times in queries: RFC 3339 (`2026-11-23T14:05:00Z`, `2026-11-23T15:05:00.5+01:00`), a date
/// (`2026-11-23`, midnight UTC; both parsed by `TimeFormat.RFC3339.parseAbsolute`), `now`, or
/// relative (`15m ago`: units s, m, h, d, w).
enum TimeParser {
    /// The current time in nanoseconds since the epoch (the system layer's wall clock).
    static func now() -> Int64 { WallClock.nanos() }

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
}
