import Foundation
import Testing
@testable import Correlation
@testable import ServerHTTP

/// The hand-written weather answer says what JSONEncoder said: same members, same values.
@Suite("Weather JSON")
struct WeatherJSONTests {
    static func entry(_ id: String, name: String?, score: Double?, coverage: Double, causes: [String]) -> WeatherEntry {
        WeatherEntry(id: id, kind: .service, name: name, state: .degraded, coverage: coverage, causes: causes, rootCauses: causes.reversed(),
                     score: score, idle: true, maintenance: false, acknowledged: true, flapping: false, forced: true)
    }

    @Test("members and values equal JSONEncoder's, whatever the names hold")
    func sameAsEncoder() throws {
        let weather = Weather(generatedAt: 1_764_000_000.125, nodes: [
            Self.entry("10.0.0.5:443/tcp", name: nil, score: nil, coverage: 1, causes: []),
            Self.entry("a\"b\\c/d\n\t\u{01}é😀", name: "Web \"shop\" ☕", score: 0.1 + 0.2, coverage: 2.0 / 3, causes: ["x/y", "\u{7F}"]),
            Self.entry("vxlan:100/10.0.0.5:443/tcp", name: "", score: 1e-7, coverage: 0, causes: ["z"]),
        ])
        let hand = try JSONSerialization.jsonObject(with: Data(WeatherJSON.encode(weather).utf8)) as? NSDictionary
        let reference = try JSONSerialization.jsonObject(with: ServerAPI.encoder.encode(weather)) as? NSDictionary
        #expect(hand != nil && hand == reference, "\(WeatherJSON.encode(weather))")
    }

    @Test("numbers: integral without fraction, others round-trip, not finite as null", arguments: [
        (1.0, "1"), (0.0, "0"), (0.5, "0.5"), (1e-7, "1e-07"), (Double.nan, "null"), (Double.infinity, "null"), (1e20, "1e+20"),
    ])
    func numbers(value: Double, text: String) {
        #expect(WeatherJSON.number(value) == text)
    }
}
