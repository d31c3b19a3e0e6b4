import ArgumentParser
import Analytics
import PacketDecoding
import Records

/// Discards records, counting them (the benchmark measures analytics, not the disk).
final class CountingRecordOutput: RecordOutput {
    var records = 0
    var bytes = 0
    func write(_ line: [UInt8], kind: RecordKind, key: String) -> Bool {
        records += 1
        bytes += line.count
        return true
    }
    func flush() {}
}

/// The analytics stage on N workers (issue 18): the capture is read into memory and split over
/// the workers' rings **before** the clock starts (no dispatcher in the measurement); the timed
/// part is the workers (decode, flow tracking, application parsing, `conn`/`txn` encoding) and the
/// merger (services, edges, numbering) until the last record is out.
struct WorkersBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "Analytics throughput on 1..N worker threads over a capture held in memory and split beforehand.")

    @Option(help: "Capture file (pcap or pcapng).") var pcap: String
    @Option(help: "Worker counts to measure, comma-separated.") var workers = "1,2"
    @Option(help: "Timed rounds per worker count (the best is reported).") var rounds = 3

    func run() throws {
        let capture = try LoadedCapture(path: pcap)
        let n = capture.offsets.count
        let counts = workers.split(separator: ",").compactMap { Int($0) }.filter { $0 >= 1 }
        guard !counts.isEmpty else { throw BenchError("--workers: give worker counts like 1,2") }
        print("loaded \(n) packets, \(capture.bytes.count) bytes")
        var best: [Int: Double] = [:]
        for workerCount in counts {
            for round in 1 ... max(1, rounds) {
                let output = CountingRecordOutput()
                let emitter = RecordEmitter(config: RecordEmitterConfig(agentID: "bench", epoch: 1), output: output)
                var config = ShardedAnalyticsConfig()
                config.workers = workerCount
                config.startsSuspended = true
                // Each ring holds its whole share: nothing runs before the clock starts.
                config.ringBytes = capture.bytes.count + n * 64 + (64 << 20)
                let sharded = ShardedAnalytics(config: config, analytics: AnalyticsConfig(), emitter: emitter)
                let linkType = LinkType(rawValue: capture.linkType)
                capture.bytes.withUnsafeBytes { all in
                    for i in 0 ..< n {
                        let packet = UnsafeRawBufferPointer(rebasing: all[capture.offsets[i] ..< capture.offsets[i] + capture.lengths[i]])
                        sharded.packet(packet, linkType: linkType, timestampNanos: capture.timestamps[i], segmentID: -1)
                    }
                }
                sharded.endOfInput()
                let start = monotonicSeconds()
                sharded.start()
                sharded.finish()
                let elapsed = monotonicSeconds() - start
                let share = sharded.counters.perWorker.map { String(format: "%.0f%%", 100 * Double($0) / Double(max(1, n))) }
                print("workers \(workerCount) round \(round): \(String(format: "%.3f", elapsed)) s, "
                      + "\(String(format: "%.2f", Double(n) / elapsed / 1e6)) M packets/s, \(output.records) records "
                      + "(\(output.bytes) bytes), packets per worker \(share.joined(separator: " "))")
                best[workerCount] = min(best[workerCount] ?? .infinity, elapsed)
            }
        }
        let base = best[counts[0]] ?? 1
        for c in counts {
            let t = best[c] ?? 0
            print("best with \(c) worker(s): \(String(format: "%.3f", t)) s = \(String(format: "%.0f", t / Double(n) * 1e9)) ns/packet, "
                  + "throughput \(String(format: "%.2f", base / t))x that of \(counts[0])")
        }
    }
}
