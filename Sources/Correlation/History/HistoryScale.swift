/// The time scales of the metric history (the patent's microflow, flow and macroflow, plus a long
/// one): the agents' 10 s windows, then 1-minute, 15-minute and 1-hour rollups. Every window is
/// added to its bucket at each scale when it is ingested, so a rollup is complete as soon as its
/// last window has arrived (no background job, nothing to catch up after a restart).
public enum HistoryScale: Int, CaseIterable, Sendable, Comparable, Codable {
    case tenSeconds = 0, minute, quarterHour, hour

    /// Bucket length, seconds.
    public var seconds: Int64 {
        switch self {
        case .tenSeconds: 10
        case .minute: 60
        case .quarterHour: 900
        case .hour: 3600
        }
    }

    /// As written in `step=` and in answers.
    public var name: String {
        switch self {
        case .tenSeconds: "10s"
        case .minute: "1m"
        case .quarterHour: "15m"
        case .hour: "1h"
        }
    }

    public init?(name: String) {
        guard let s = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = s
    }

    /// How long each scale is kept by default: 2 days, 14 days, 90 days, 2 years.
    public var defaultRetention: Double {
        switch self {
        case .tenSeconds: 2 * 86400
        case .minute: 14 * 86400
        case .quarterHour: 90 * 86400
        case .hour: 730 * 86400
        }
    }

    /// Start of the bucket holding `time` (seconds since 1970); nil for a time no bucket can hold
    /// (not finite, or beyond ±2^52 s).
    public func bucket(of time: Double) -> Int64? {
        guard time.isFinite, abs(time) < 4.5e15 else { return nil }
        let t = Int64(time.rounded(.down))
        let r = ((t % seconds) + seconds) % seconds
        return t - r
    }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// What the history keeps and for how long.
public struct HistoryConfig: Sendable, Equatable {
    /// Off: edge windows only feed the dependency map, as before.
    public var enabled = true
    /// Seconds each scale is kept (by bucket start relative to now).
    public var retention: [HistoryScale: Double] = Dictionary(uniqueKeysWithValues: HistoryScale.allCases.map { ($0, $0.defaultRetention) })
    /// Node kinds whose series are kept besides endpoints and edges (ancestors of a window's endpoint).
    public var rollupKinds: Set<NodeKind> = [.service, .application, .host]

    public init() {}
}
