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

    /// Parses a duration in seconds: `90`, `500ms`, `30s`, `15m`, `2h`, `7d`.
    public static func seconds(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let suffixes: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800)]
        for (suffix, mult) in suffixes where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v >= 0 else { return nil }
            return v * mult
        }
        guard let v = Double(t), v >= 0 else { return nil }
        return v
    }
}

