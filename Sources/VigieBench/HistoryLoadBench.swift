import ArgumentParser
import Correlation
import Foundation
import Records

/// Generates a metric history into a server data directory (issue 21's benchmark,
/// Benchmarks/history-bench.sh): N endpoints, ten per service, ten services per application,
/// `days` of 1-minute, 15-minute and 1-hour rows and the last `ten-second-days` of 10 s rows, as
/// the server's ingest would have left them, plus the inventory of those nodes.
struct HistoryLoadBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history-load",
        abstract: "Write a generated metric history (endpoints, services, applications) into a vigie-server SQLite data directory.")

    @Option(help: "Server data directory (vigie-server.sqlite is created there).") var data: String
    @Option(help: "Endpoints (ten per service, ten services per application).") var endpoints = 10_000
    @Option(help: "Days of 1 min / 15 min / 1 h history, ending at --end.") var days = 7
    @Option(name: .customLong("ten-second-days"), help: "Days of 10 s history, ending at --end (the scale's default retention is 2).") var tenSecondDays = 2.0
    @Option(help: "End of the history, seconds since 1970 (default: now, rounded down to the hour).") var end: Int64?
    @Option(help: "Inventory YAML written for the server's --inventory.") var inventory: String

    func run() throws {
        let endTime = end ?? (Int64(Date().timeIntervalSince1970) / 3600 * 3600)
        let store = try SQLiteStore(directory: data, durable: false)
        try writeInventory()
        var rng = SplitMix(seed: 7)
        let started = Date()
        var written = 0
        let services = max(1, endpoints / 10), applications = (services + 9) / 10
        try store.beginHistoryLoad()
        // In the table's key order (scale, bucket, series): every insert appends, as ingest's do.
        // Each bucket's figures are drawn for its length; rollups are not sums of the finer scale
        // (what is timed is reading them, not their values).
        for scale in HistoryScale.allCases {
            let days = scale == .tenSeconds ? tenSecondDays : Double(self.days)
            var t = endTime - Int64(days * 86400) / scale.seconds * scale.seconds
            let windows = Int(scale.seconds / 10)
            while t < endTime {
                var rows: [(MetricRowKey, MetricSums)] = []
                rows.reserveCapacity(endpoints + services + applications)
                for a in 0 ..< applications { rows.append((MetricRowKey(series: .node("application-\(a)"), scale: scale, bucket: t), Self.sums(&rng, scale: windows * 100))) }
                for s in 0 ..< services { rows.append((MetricRowKey(series: .node("service-\(s)"), scale: scale, bucket: t), Self.sums(&rng, scale: windows * 10))) }
                for e in 0 ..< services * 10 { rows.append((MetricRowKey(series: .node(Self.endpoint(e)), scale: scale, bucket: t), Self.sums(&rng, scale: windows))) }
                try store.loadHistory(rows)
                written += rows.count
                t += scale.seconds
                if t % 3600 == 0 {
                    let elapsed = Date().timeIntervalSince(started)
                    FileHandle.standardError.write(Data(String(format: "\rscale %@: %d rows, %.0f rows/s ", scale.name, written, Double(written) / max(elapsed, 0.001)).utf8))
                }
            }
        }
        FileHandle.standardError.write(Data("\nbuilding the series index\n".utf8))
        try store.endHistoryLoad()
        print(String(format: "history-load: %d rows for %d endpoints in %.0f s", written, endpoints, Date().timeIntervalSince(started)))
    }

    static func endpoint(_ k: Int) -> String { "10.\((k >> 16) & 255).\((k >> 8) & 255).\(k & 255):443/tcp" }

    /// One bucket's sums: `scale` windows' worth of traffic, a handful of latency samples.
    static func sums(_ rng: inout SplitMix, scale: Int) -> MetricSums {
        var s = MetricSums()
        s.attempts = Int64(rng.next() % 20) * Int64(scale)
        s.established = s.attempts - Int64(rng.next() % 2)
        s.refused = s.attempts - max(0, s.established)
        s.transactions = Int64(rng.next() % 40) * Int64(scale)
        s.errors = Int64(rng.next() % 2)
        s.bytesToServer = Int64(rng.next() % 100_000) * Int64(scale)
        s.bytesToClient = Int64(rng.next() % 1_000_000) * Int64(scale)
        for _ in 0 ..< 4 { s.rtt.add(nanos: Int64(200_000 + rng.next() % 5_000_000)) }
        for _ in 0 ..< 4 { s.responseTime.add(nanos: Int64(1_000_000 + rng.next() % 200_000_000)) }
        return s
    }

    /// The nodes: endpoints under services under applications (the weather's 10 k leaves).
    func writeInventory() throws {
        var yaml = "nodes:\n"
        let services = max(1, endpoints / 10)
        for a in 0 ..< (services + 9) / 10 { yaml += "  - {id: application-\(a), kind: application}\n" }
        for s in 0 ..< services { yaml += "  - {id: service-\(s), kind: service}\n" }
        for e in 0 ..< services * 10 { yaml += "  - {id: \"\(Self.endpoint(e))\", kind: endpoint}\n" }
        yaml += "edges:\n"
        for s in 0 ..< services { yaml += "  - {child: service-\(s), parent: application-\(s / 10)}\n" }
        for e in 0 ..< services * 10 { yaml += "  - {child: \"\(Self.endpoint(e))\", parent: service-\(e / 10)}\n" }
        try yaml.write(toFile: inventory, atomically: true, encoding: .utf8)
    }
}

/// SplitMix64: a fast, seeded generator (the bench's figures repeat from run to run).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
