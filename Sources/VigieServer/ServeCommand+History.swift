import ArgumentParser
import Correlation

extension ServeCommand {
    /// `--history-retention` and `--no-history` as the correlator's history configuration.
    func historyConfig() throws -> HistoryConfig {
        var config = HistoryConfig()
        config.enabled = !noHistory
        for item in historyRetention {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let scale = HistoryScale(name: parts[0]) else {
                throw ValidationError("--history-retention: '\(item)' is not SCALE=DURATION with SCALE one of \(HistoryScale.allCases.map(\.name).joined(separator: ", "))")
            }
            guard let seconds = Self.duration(parts[1]), seconds >= Double(scale.seconds), seconds <= 100 * 365 * 86400 else {
                throw ValidationError("--history-retention: '\(parts[1])' is not a duration from \(scale.name) to 100 years (e.g. 36h, 14d)")
            }
            config.retention[scale] = seconds
        }
        return config
    }

    /// `90`, `90s`, `15m`, `36h`, `14d` in seconds; nil otherwise.
    static func duration(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var number = Substring(text), factor = 1.0
        if let last = text.last, let f = units[last] { number = number.dropLast(); factor = f }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        return value * factor
    }
}
