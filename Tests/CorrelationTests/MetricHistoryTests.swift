import Foundation
import Testing
import TimeFormat
import VigieTestSupport
@testable import Correlation
@testable import Records

/// Edge windows with known raw samples, for checking the history against sums and percentiles
/// recomputed from the raw windows (not from the store's own merging).
struct WindowScenario {
    struct Window {
        var client: String
        var service: String
        var start: Int64
        var counters: [Int64]  // MetricSums.counterNames order
        var rttSamples: [Int64]  // ns
        var responseSamples: [Int64]
    }

    var windows: [Window] = []

    /// `minutes` of 10 s windows for every client × service, counters and latencies drawn from `seed`.
    init(clients: [String], services: [String], start: Int64, minutes: Int, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for k in 0..<(minutes * 6) {
            for s in services {
                for c in clients where rng.next() % 5 != 0 {  // some windows missing: gaps stay gaps
                    let counters = (0..<MetricSums.counterNames.count).map { i in Int64(rng.next() % (i >= 7 ? 100_000 : 40)) }
                    let rtt = (0..<Int(rng.next() % 12)).map { _ in Int64(rng.next() % 50_000_000) }
                    let response = (0..<Int(rng.next() % 6)).map { _ in Int64(500_000 + rng.next() % 3_000_000_000) }
                    windows.append(Window(client: c, service: s, start: start + Int64(k) * 10, counters: counters, rttSamples: rtt, responseSamples: response))
                }
            }
        }
    }

    static func histogram(_ samples: [Int64]) -> LatencyHistogram {
        var h = LatencyHistogram()
        for s in samples { h.add(nanos: s) }
        return h
    }

    /// The agent's `edge` record of a window, as its encoder writes one.
    static func line(_ w: Window, seq: Int) -> String {
        func hist(_ samples: [Int64]) -> String {
            let h = histogram(samples)
            let buckets = h.buckets.map { "[\($0.index),\($0.count)]" }.joined(separator: ",")
            return #"{"layout":"log2x4-us","count":\#(h.count),"sum_us":\#(h.sumNanos / 1000),"min_us":\#(h.minNanos / 1000),"max_us":\#(h.maxNanos / 1000),"buckets":[\#(buckets)]}"#
        }
        let c = w.counters
        var fields = zip(MetricSums.counterNames, c).map { name, v in "\"\(name == "errors" ? "transaction_errors" : name)\":\(v)" }.joined(separator: ",")
        if !w.rttSamples.isEmpty { fields += #","rtt":"# + hist(w.rttSamples) }
        if !w.responseSamples.isEmpty { fields += #","response_time":"# + hist(w.responseSamples) }
        let start = RFC3339.string(w.start * 1_000_000_000), end = RFC3339.string((w.start + 10) * 1_000_000_000)
        return #"{"schema_version":1,"kind":"edge","agent_id":"edge-paris-01","epoch":1,"seq":\#(seq),"ts":"\#(end)","agent_ts":"\#(end)","orig_h":"\#(w.client)","service":"\#(w.service)","interval_start":"\#(start)","interval_end":"\#(end)",\#(fields)}"#
    }

    /// Every window as record lines, in batches of varying size.
    func batches(seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        var out: [[UInt8]] = [], current: [String] = []
        for (k, w) in windows.enumerated() {
            current.append(Self.line(w, seq: k + 1))
            if current.count >= 1 + Int(rng.next() % 200) { out.append(Lines.batch(current)); current = [] }
        }
        if !current.isEmpty { out.append(Lines.batch(current)) }
        return out
    }
}

/// The exact nearest-rank quantile of raw samples, and whether an estimate lies in its bucket.
func estimateFits(_ estimateMillis: Double?, samples: [Int64], q: Double) -> Bool {
    guard !samples.isEmpty else { return estimateMillis == nil }
    guard let estimate = estimateMillis else { return false }
    let sorted = samples.sorted()
    let rank = max(1, Int((q * Double(sorted.count)).rounded(.up)))
    let exact = sorted[rank - 1]
    let b = LatencyHistogram.bucket(ofNanos: exact)
    let lower = LatencyHistogram.lowerBoundMicros(b) / 1000
    let upper = (b + 1 < LatencyHistogram.bucketCount ? LatencyHistogram.lowerBoundMicros(b + 1) : LatencyHistogram.lowerBoundMicros(b)) / 1000
    return estimate >= lower - 1e-9 && estimate <= upper + 1e-9
}

/// Checks every series the scenario feeds, at every scale, against the raw windows.
func checkRollups(_ c: Correlator, _ scenario: WindowScenario, series: [(SeriesKey, (WindowScenario.Window) -> Bool)]) throws {
    for (key, member) in series {
        for scale in HistoryScale.allCases {
            let from = scenario.windows.map(\.start).min() ?? 0, to = (scenario.windows.map(\.start).max() ?? 0) + 3600
            let points = try c.series(key, scale: scale, from: scale.bucket(of: Double(from)) ?? 0, to: to)
            var expected: [Int64: [WindowScenario.Window]] = [:]
            for w in scenario.windows where member(w) { expected[scale.bucket(of: Double(w.start)) ?? 0, default: []].append(w) }
            #expect(points.map(\.bucket) == expected.keys.sorted(), "\(key) at \(scale.name): buckets")
            for p in points {
                let raw = expected[p.bucket] ?? []
                let sums = raw.reduce(into: [Int64](repeating: 0, count: MetricSums.counterNames.count)) { acc, w in
                    for i in acc.indices { acc[i] += w.counters[i] }
                }
                #expect(p.sums.counters == sums, "\(key) at \(scale.name), bucket \(p.bucket): counters")
                let rtt = raw.flatMap(\.rttSamples), response = raw.flatMap(\.responseSamples)
                #expect(p.sums.rtt.count == UInt64(rtt.count) && p.sums.responseTime.count == UInt64(response.count))
                for (metric, samples, q) in [(HistoryMetric.rttP50, rtt, 0.5), (.rttP95, rtt, 0.95), (.rttP99, rtt, 0.99),
                                             (.responseP50, response, 0.5), (.responseP95, response, 0.95), (.responseP99, response, 0.99)] {
                    #expect(estimateFits(p.sums.value(metric), samples: samples, q: q),
                            "\(key) at \(scale.name), bucket \(p.bucket): \(metric.rawValue) \(String(describing: p.sums.value(metric))) vs raw")
                }
            }
        }
    }
}

@Suite("Metric history")
struct MetricHistoryTests {
    static let endpoints = ["10.0.0.5:443/tcp", "10.0.0.6:443/tcp", "10.0.0.7:5432/tcp"]
    static let clients = ["10.0.1.1", "10.0.1.2", "10.0.1.3"]

    /// The series to check: each endpoint, the services and the application above them, one edge.
    static func seriesToCheck() -> [(SeriesKey, (WindowScenario.Window) -> Bool)] {
        endpoints.map { e in (SeriesKey.node(e), { (w: WindowScenario.Window) in w.service == e }) } + [
            (.node("web"), { $0.service == endpoints[0] || $0.service == endpoints[1] }),
            (.node("db"), { $0.service == endpoints[2] }),
            (.node("shop"), { _ in true }),
            (.edge(client: clients[1], service: endpoints[2]), { $0.client == clients[1] && $0.service == endpoints[2] }),
        ]
    }

    static func feed(_ c: Correlator, _ scenario: WindowScenario) {
        for batch in scenario.batches(seed: 11) {
            let r = c.ingest(batch)
            #expect(r.errorCount == 0 && r.storageError == nil, "\(r.errors.prefix(2))")
        }
    }

    @Test("rollups at 1 min, 15 min and 1 h equal the sums and percentiles recomputed from the raw 10 s windows (SQLite)")
    func rollupsSQLite() throws {
        let dir = Support.temporaryDirectory("history")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let clock = TestClock(1_700_010_000)
        let scenario = WindowScenario(clients: Self.clients, services: Self.endpoints, start: 1_700_000_000 - 3 * 3600 + 5, minutes: 150, seed: 3)
        do {
            let c = try Correlator(store: try SQLiteStore(directory: dir), inventory: try Inventory.parse(yaml: shopYAML), clock: clock.function)
            Self.feed(c, scenario)
            // A batch sent again (lost answer) adds nothing: dedup runs before the history.
            let again = c.ingest(scenario.batches(seed: 11)[0])
            #expect(again.accepted == 0 && again.duplicates > 0)
        }
        // After a restart, from the database alone.
        let c = try Correlator(store: try SQLiteStore(directory: dir), clock: clock.function)
        try checkRollups(c, scenario, series: Self.seriesToCheck())
        // An endpoint outside the inventory still has its series; a node without windows has none.
        #expect(try c.series(.node("dns"), scale: .minute, from: 0, to: 2_000_000_000).isEmpty)
    }

    @Test("retention drops each scale's old buckets, counted back from the newest window (not from now), never beyond now")
    func retention() throws {
        let dir = Support.temporaryDirectory("history")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let start: Int64 = 1_700_000_000
        // A replay: the clock is a year after the windows.
        let clock = TestClock(Double(start) + 365 * 86400)
        var config = CorrelatorConfig()
        config.history.retention[.tenSeconds] = 86400  // keep one day of 10 s
        config.history.retention[.minute] = 1.5 * 86400
        let c = try Correlator(config: config, store: try SQLiteStore(directory: dir), inventory: try Inventory.parse(yaml: shopYAML),
                               clock: clock.function)
        func window(_ t: Int64) -> WindowScenario.Window {
            .init(client: "10.0.1.1", service: Self.endpoints[0], start: t, counters: [1, 1, 0, 0, 0, 0, 0, 0, 0], rttSamples: [], responseSamples: [])
        }
        var w = WindowScenario(clients: [], services: [], start: start, minutes: 0, seed: 1)
        w.windows = (0..<3).map { window(start + Int64($0) * 86400) }
        Self.feed(c, w)
        c.tick()
        let key = SeriesKey.node(Self.endpoints[0])
        let minute = { (t: Int64) in t - t % 60 }
        func buckets(_ scale: HistoryScale) throws -> [Int64] { try c.series(key, scale: scale, from: 0, to: .max).map(\.bucket) }
        // Newest window: start + 2 days. A year-old replay keeps what its own time says.
        #expect(try buckets(.tenSeconds) == [start + 86400, start + 2 * 86400])
        #expect(try buckets(.minute) == [minute(start + 86400), minute(start + 2 * 86400)])
        #expect(try buckets(.hour).count == 3)

        // A window from an agent whose clock runs far ahead: counted from now, not from it.
        clock.advance(61)
        let future = start + 400 * 86400
        var ahead = WindowScenario(clients: [], services: [], start: start, minutes: 0, seed: 1)
        let recent = start + 365 * 86400 - 3600  // an hour before now
        ahead.windows = [window(recent), window(future)]
        for batch in ahead.batches(seed: 1) {
            let text = String(decoding: batch, as: UTF8.self).replacingOccurrences(of: "\"seq\":1,", with: "\"seq\":10,").replacingOccurrences(of: "\"seq\":2,", with: "\"seq\":11,")
            #expect(c.ingest(Array(text.utf8)).accepted == 2)
        }
        c.tick()
        // Counted from the future window, the recent one would go; counted from now, the replay goes.
        #expect(try buckets(.tenSeconds) == [recent, future])
    }
}

extension PostgresStoreTests {
    @Test("rollups equal the raw windows' sums and percentiles in PostgreSQL too")
    func historyRollups() throws {
        let url = try database()
        let clock = TestClock(1_700_010_000)
        let scenario = WindowScenario(clients: MetricHistoryTests.clients, services: MetricHistoryTests.endpoints, start: 1_700_000_000 - 3600 + 5,
                                      minutes: 40, seed: 5)
        let c = try make(clock, url: url)
        MetricHistoryTests.feed(c, scenario)
        try checkRollups(c, scenario, series: MetricHistoryTests.seriesToCheck())
        // A second instance sharing the database adds to the same rows.
        let second = try make(clock, url: url, inventory: false)
        var more = WindowScenario(clients: ["10.0.1.9"], services: [MetricHistoryTests.endpoints[0]], start: 1_700_000_000 - 3600 + 5, minutes: 5, seed: 6)
        for k in more.windows.indices { more.windows[k].client = "10.0.1.9" }
        for batch in more.batches(seed: 2) {
            // Another agent: its own dedup scope.
            let text = String(decoding: batch, as: UTF8.self).replacingOccurrences(of: "edge-paris-01", with: "edge-lyon-02")
            #expect(second.ingest(Array(text.utf8)).storageError == nil)
        }
        var both = scenario
        both.windows += more.windows
        try checkRollups(second, both, series: [(.node(MetricHistoryTests.endpoints[0]), { $0.service == MetricHistoryTests.endpoints[0] })])
    }
}

@Suite("Stored histogram text")
struct HistogramTextTests {
    @Test("a histogram survives its stored text, whatever its samples")
    func roundTrip() {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<500 {
            var h = LatencyHistogram()
            for _ in 0..<Int(rng.next() % 40) { h.add(nanos: Int64(rng.next() % (UInt64(1) << UInt64(rng.next() % 50)))) }
            let bytes = HistogramText.bytes(h)
            #expect(bytes.withUnsafeBytes { HistogramText.decode($0) } == h)
            #expect(HistogramText.decode(HistogramText.encode(h) as String) == h)
        }
    }

    @Test("damaged text reads as an empty histogram, never a trap", arguments: [
        "x", "1", "1 2 3", "1 2 3 4 5", "1 2 3 4 5:", "1 2 3 4 :5", "1 2 3 4 300:1", "1 2 3 4 2:1 1:1", "-1 2 3 4",
        "99999999999999999999999 1 1 1", "1 2 -9223372036854775809 4", "1  2 3 4", "1 2 3 4 1:1 ", "1 2 3 4 1:-1",
    ])
    func damaged(text: String) {
        #expect(HistogramText.decode(text).count == 0 && HistogramText.decode(text).buckets.isEmpty)
    }
}
