import Foundation
import Testing
import VigieTestSupport

/// `Benchmarks/history-bench.sh` run small on the debug build (the real run is tens of GB and by
/// hand): the loader, the server on its database and every timed request work, and each chart
/// holds the number of points its range and step make. No time is asserted here.
@Suite("Metric history benchmark (smoke)", .serialized, .enabled(if: Support.hasTool("python3") && Support.hasTool("curl"), "needs python3 and curl"))
struct HistoryBenchSmokeTests {
    @Test("30 endpoints, 2 days: week-chart, day and hour charts, weather; points as the ranges make them")
    func smoke() throws {
        let dir = Support.temporaryDirectory("history-bench")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bin = URL(fileURLWithPath: Support.agentBinary).deletingLastPathComponent().path
        let script = Support.packageRoot.appendingPathComponent("Benchmarks/history-bench.sh").path
        let r = try Support.run(["env", "VIGIE_BENCH_NOBUILD=1", "VIGIE_BENCH_BIN=\(bin)", "VIGIE_BENCH_DIR=\(dir)", "RUNS=1",
                                 "PORT=\(TestPorts.unused())", "timeout", "300", "bash", script, "30", "2", "0.05"])
        #expect(r.status == 0, "exit \(r.status)\n\(r.stdout.suffix(2000))\n\(r.stderr.suffix(2000))")
        func points(_ name: String) -> Int? {
            r.stdout.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { Int($0.dropFirst(name.count).split(separator: " ").first ?? "") }
        }
        #expect(points("endpoint, 2 days (auto)") == 2 * 96, "15 min over two days\n\(r.stdout)")
        #expect(points("service, 2 days (auto)") == 2 * 96)
        #expect(points("application, 2 days (auto)") == 2 * 96)
        #expect(points("endpoint, 1 day at 1m") == 1440)
        #expect(points("endpoint, 1 hour at 10s") == 360)
        #expect(points("weather (services, applications)") == 3 + 1)
        #expect(points("weather (all 30+ nodes)") == 30 + 3 + 1)
        #expect(points("sqlite3 (Python), endpoint 15m rows") == 2 * 96)
    }
}
