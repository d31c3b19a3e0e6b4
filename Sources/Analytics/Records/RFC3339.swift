/// Formats nanoseconds since the Unix epoch as RFC 3339 UTC with nine fractional digits
/// (`2026-11-23T06:16:54.123456789Z`), without Foundation. Fixed width for years 0000–9999, so
/// the text sorts like the number.
public enum RFC3339 {
    /// The formatted text of `nanos`.
    public static func string(_ nanos: Int64) -> String {
        var bytes: [UInt8] = []
        append(nanos, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the formatted text of `nanos` to `bytes`.
    public static func append(_ nanos: Int64, to bytes: inout [UInt8]) {
        var seconds = nanos / 1_000_000_000
        var fraction = nanos % 1_000_000_000
        if fraction < 0 { fraction += 1_000_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secOfDay = seconds % 86_400
        if secOfDay < 0 { secOfDay += 86_400; days -= 1 }
        let (y, m, d) = civil(fromDays: days)
        let year = min(max(y, 0), 9999)
        digits(year, 4, &bytes); bytes.append(UInt8(ascii: "-"))
        digits(m, 2, &bytes); bytes.append(UInt8(ascii: "-"))
        digits(d, 2, &bytes); bytes.append(UInt8(ascii: "T"))
        digits(secOfDay / 3600, 2, &bytes); bytes.append(UInt8(ascii: ":"))
        digits(secOfDay / 60 % 60, 2, &bytes); bytes.append(UInt8(ascii: ":"))
        digits(secOfDay % 60, 2, &bytes); bytes.append(UInt8(ascii: "."))
        digits(fraction, 9, &bytes); bytes.append(UInt8(ascii: "Z"))
    }

    /// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func digits(_ value: Int64, _ width: Int, _ bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var v = value, i = start + width - 1
        while v > 0 && i >= start { bytes[i] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10; i -= 1 }
    }
}
