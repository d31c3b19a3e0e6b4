import Foundation
import Testing
import PacketDecoding
import Records
@testable import Analytics
import VigieTestSupport

/// Analytics on several workers gives the records of one: for N = 1, 2 and 4 workers the records
/// are equal in their canonical form (every field but `seq`, `uid` and `agent_ts`, lines sorted;
/// `agent_health`, which describes the agent rather than the traffic, left out), over the whole
/// corpus and a generated capture long enough for windows, edge intervals, interim reports and
/// timeouts to fire. And the `conn` / `txn` records of the workers equal those of the unsharded
/// analyzer.
@Suite struct ShardedAnalyticsTests {
    static let workerCounts = [1, 2, 4]

    @Test(.enabled(if: Corpus.isAvailable, "needs ../shared/corpus"), arguments: Corpus.files)
    func corpusRecordsAreTheSameForAnyWorkerCount(_ name: String) throws {
        let path = try #require(Corpus.directory) + "/" + name
        try expectSameRecords(path, name: name)
    }

    @Test func generatedCaptureRecordsAreTheSameForAnyWorkerCount() throws {
        let dir = Support.temporaryDirectory("sharded")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/g.pcap"
        // 120,000 packets over 60 s of packet time: windows, edge intervals, interim reports and
        // idle timeouts all fire; 400 clients and 40 servers so flows share services.
        _ = try Support.run([Support.builtExecutable("vigie-gen"), "-o", path, "--packets", "120000", "--rate-pps", "2000",
                             "--clients", "400", "--servers", "40", "--seed", "7"])
        let perWorker = try expectSameRecords(path, name: "generated")
        // The shard key spreads hosts over the workers (no worker idle, none with almost all).
        let four = try #require(perWorker[4])
        #expect(four.allSatisfy { $0 > four.reduce(0, +) / 16 }, "packets per worker: \(four)")
    }

    /// Runs `path` with every worker count and compares; returns the packets each worker got.
    @discardableResult
    func expectSameRecords(_ path: String, name: String) throws -> [Int: [UInt64]] {
        var emitterConfig = RecordEmitterConfig(agentID: "sharding-test", epoch: 1)
        emitterConfig.edgeIntervalNanos = 10_000_000_000
        emitterConfig.services.windowNanos = 5_000_000_000
        var analytics = AnalyticsConfig()
        analytics.interimIntervalNanos = 20_000_000_000
        analytics.udpIdleTimeoutNanos = 15_000_000_000
        var baseline: [String]?
        var perWorker: [Int: [UInt64]] = [:]
        for n in Self.workerCounts {
            let output = CollectingOutput()
            let emitter = RecordEmitter(config: emitterConfig, output: output, agentClock: { 0 })
            var config = ShardedAnalyticsConfig()
            config.workers = n
            config.ringBytes = 1 << 20
            let sharded = ShardedAnalytics(config: config, analytics: analytics, emitter: emitter, agentClock: { 0 })
            guard CorpusReplay.forEachPacket(path, { header, bytes, linkType in
                sharded.packet(bytes, linkType: linkType, timestampNanos: header.timestampNanos, segmentID: -1)
            }) != nil else {
                sharded.finish()
                return [:]  // not a capture our readers accept (CorpusFlowTests covers those)
            }
            sharded.finish()
            perWorker[n] = sharded.counters.perWorker
            let lines = try Self.canonical(output)
            if let baseline {
                if lines != baseline { Self.recordDifference(baseline, lines, name: name, workers: n) }
            } else {
                baseline = lines
                // Worker-encoded conn/txn records equal those of one analyzer writing directly.
                let direct = CollectingOutput()
                let directEmitter = RecordEmitter(config: emitterConfig, output: direct, agentClock: { 0 })
                let analyzer = FlowAnalyzer(config: analytics, sink: directEmitter)
                _ = CorpusReplay.forEachPacket(path) { header, bytes, linkType in
                    analyzer.process(packetBytes: bytes, linkType: linkType, timestampNanos: header.timestampNanos)
                }
                analyzer.finish()
                directEmitter.finish()
                let flows: Set<String> = ["conn", "txn"]
                let expected = try Self.canonical(direct).filter { flows.contains(Self.kind($0)) }
                let got = lines.filter { flows.contains(Self.kind($0)) }
                if got != expected { Self.recordDifference(expected, got, name: name + " (unsharded)", workers: n) }
            }
        }
        return perWorker
    }

    static func kind(_ line: String) -> String {
        guard let r = line.range(of: "\"kind\":\""), let end = line[r.upperBound...].firstIndex(of: "\"") else { return "" }
        return String(line[r.upperBound ..< end])
    }

    /// Every record but `agent_health`, without `seq`, `uid`, `agent_ts`, keys sorted, lines sorted.
    static func canonical(_ output: CollectingOutput) throws -> [String] {
        try output.objects().compactMap { object -> String? in
            guard (object["kind"] as? String) != "agent_health" else { return nil }
            var o = object
            for key in ["seq", "uid", "agent_ts"] { o[key] = nil }
            let data = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }.sorted()
    }

    static func recordDifference(_ a: [String], _ b: [String], name: String, workers: Int) {
        let missing = Array(Set(a).subtracting(b).sorted().prefix(3))
        let extra = Array(Set(b).subtracting(a).sorted().prefix(3))
        Issue.record("\(name): \(workers) workers give \(b.count) records, 1 worker \(a.count); only with 1: \(missing); only with \(workers): \(extra)")
    }
}
