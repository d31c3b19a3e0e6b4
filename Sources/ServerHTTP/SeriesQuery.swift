import Correlation
import Foundation

/// The parameters of a series request, checked: metrics, range and scale (docs/history.md).
/// Every answer is bounded: at most ``maxPoints`` buckets, whatever the range asked.
struct SeriesQuery: Sendable {
    var metrics: [HistoryMetric]
    var scale: HistoryScale
    var from: Double
    var to: Double

    /// Most buckets one answer may span (a week at 1 minute is 10,080).
    static let maxPoints: Int64 = 11_000
    /// `step=auto` picks the finest scale with at most this many buckets in the range.
    static let autoPoints: Int64 = 1_000
    /// Default range: the last hour.
    static let defaultRange: Double = 3600

    /// First and one-past-last bucket starts of the range at the chosen scale.
    var bucketFrom: Int64 { scale.bucket(of: from) ?? 0 }
    var bucketTo: Int64 { (scale.bucket(of: to) ?? 0) + (to > Double(scale.bucket(of: to) ?? 0) ? scale.seconds : 0) }

    struct Refused: Error { var message: String }

    static func parse(parameter: (String) -> String?, now: Double, retention: [HistoryScale: Double]) -> Result<SeriesQuery, Refused> {
        var metrics = HistoryMetric.allCases
        if let text = parameter("metrics") {
            metrics = []
            for name in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let m = HistoryMetric(rawValue: String(name)) else {
                    return .failure(Refused(message: "unknown metric '\(name)'; known: \(HistoryMetric.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
                if !metrics.contains(m) { metrics.append(m) }
            }
        }
        let to: Double
        switch time(parameter("to"), name: "to") {
        case .failure(let e): return .failure(e)
        case .success(let t): to = t ?? now
        }
        let from: Double
        switch time(parameter("from"), name: "from") {
        case .failure(let e): return .failure(e)
        case .success(let t): from = t ?? to - defaultRange
        }
        guard from < to else { return .failure(Refused(message: "'from' must be before 'to'")) }
        let span = to - from
        let scale: HistoryScale
        switch parameter("step") ?? "auto" {
        case "auto":
            guard let s = HistoryScale.allCases.first(where: { span / Double($0.seconds) <= Double(autoPoints) }) else {
                guard span / Double(HistoryScale.hour.seconds) <= Double(maxPoints) else {
                    return .failure(Refused(message: "the range spans \(Int(span / 86400)) days: at most \(maxPoints) hours (about \(maxPoints / 24) days) per request"))
                }
                scale = .hour
                break
            }
            scale = s
        case let text:
            guard let s = HistoryScale(name: text) else {
                return .failure(Refused(message: "'step' must be auto, \(HistoryScale.allCases.map(\.name).joined(separator: ", ")), not '\(text)'"))
            }
            let buckets = span / Double(s.seconds)
            guard buckets <= Double(maxPoints) else {
                let fits = HistoryScale.allCases.first { span / Double($0.seconds) <= Double(maxPoints) }
                return .failure(Refused(message: "the range holds \(Int(min(buckets, 1e15))) buckets of \(s.name); at most \(maxPoints) per request"
                                        + (fits.map { ": use step=\($0.name) or a shorter range" } ?? ": use a shorter range")))
            }
            scale = s
        }
        return .success(SeriesQuery(metrics: metrics, scale: scale, from: from, to: to))
    }

    /// An RFC 3339 time (years 0001...9999) or seconds since 1970 (digits, optional fraction); nil when absent.
    private static func time(_ text: String?, name: String) -> Result<Double?, Refused> {
        guard let text else { return .success(nil) }
        let numeric = text.wholeMatch(of: /[0-9]{1,12}(\.[0-9]{1,9})?/) != nil
        let value = numeric ? Double(text) : Timestamp.parse(text)
        guard let value, value.isFinite, value >= -62_135_596_800, value < 253_402_300_800 else {
            return .failure(Refused(message: "'\(name)' must be an RFC 3339 time or seconds since 1970, not '\(text.prefix(64))'"))
        }
        return .success(value)
    }
}
