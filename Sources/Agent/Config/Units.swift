import Foundation

/// Parsers for the human units used in configuration and on the command line.
public enum Units {
    /// Parses a byte size: `1048576`, `512K`, `256MiB`, `10GB`, `1.5T` (K/M/G/T are powers of 1024,
    /// with or without `i`/`B`; `KB`/`MB`/... are also 1024-based, as `du`/`tcpdump -C` users expect).
    public static func bytes(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces)
        var numberEnd = t.startIndex
        while numberEnd < t.endIndex, t[numberEnd].isNumber || t[numberEnd] == "." { numberEnd = t.index(after: numberEnd) }
        guard let value = Double(t[..<numberEnd]), value >= 0 else { return nil }
        var unit = t[numberEnd...].trimmingCharacters(in: .whitespaces).uppercased()
        if unit.hasSuffix("B") { unit.removeLast() }
        if unit.hasSuffix("I") { unit.removeLast() }
        let mult: Double
        switch unit {
        case "": mult = 1
        case "K": mult = 1024
        case "M": mult = 1024 * 1024
        case "G": mult = 1024 * 1024 * 1024
        case "T": mult = 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        let v = value * mult
        guard v < 1.8e19 else { return nil }
        return UInt64(v.rounded())
    }

    /// The longest duration accepted: 9×10^9 s (about 285 years), so that any duration in
    /// nanoseconds fits an `Int64` with room for `now ± duration`.
    public static let maxSeconds: Double = 9e9

    /// Parses a duration in seconds: `90`, `500ms`, `30s`, `15m`, `2h`, `7d`, `1.5w`. Nil when it is
    /// not one, not finite (`inf`, `nan`, `1e400`) or longer than `limit` (``maxSeconds`` unless
    /// given).
    public static func seconds(_ text: String, limit: Double = maxSeconds) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let suffixes: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800)]
        var number = Substring(t), mult = 1.0
        for (suffix, m) in suffixes where t.hasSuffix(suffix) {
            number = t.dropLast(suffix.count)
            mult = m
            break
        }
        let digits = number.trimmingCharacters(in: .whitespaces)
        // Plain decimals only: Double() would also take "inf", "nan", "0x1p3" and "1e400".
        guard !digits.isEmpty, digits.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }),
              let v = Double(digits), v.isFinite, v >= 0 else { return nil }
        let s = v * mult
        return s.isFinite && s <= limit ? s : nil
    }
}

