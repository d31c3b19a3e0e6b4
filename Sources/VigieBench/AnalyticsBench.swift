import ArgumentParser
import Foundation
import Analytics
import PacketDecoding

/// A sink that only counts, so the benchmark measures the engine.
final class CountingSink: FlowEventSink {
    var connections = 0, transactions = 0, observations = 0, clocks = 0
    func connection(_ summary: ConnSummary) { connections += 1 }
    func transaction(_ summary: TransactionSummary) { transactions += 1 }
    func observe(_ observation: ServiceObservation) { observations += 1 }
    func clock(_ nanos: Int64) { clocks += 1 }
}

struct AnalyticsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analytics",
        abstract: "Decode + flow tracking speed over a capture held in memory.")

    @Option(help: "Capture file (pcap or pcapng).") var pcap: String
    @Option(help: "Timed rounds (the best is reported).") var rounds = 3
    @Option(help: "Flow table size.") var maxFlows = 1_000_000
    @Flag(help: "Skip the tcpdump reference measurement.") var noTcpdump = false
    @Flag(help: "After timing, one more pass tallying states, observations and transactions.") var summary = false

    func run() throws {
        let loadStart = monotonicSeconds()
        let capture = try LoadedCapture(path: pcap)
        let n = capture.offsets.count
        print("loaded \(n) packets, \(capture.bytes.count) bytes in \(String(format: "%.2f", monotonicSeconds() - loadStart)) s")
        let linkType = LinkType(rawValue: capture.linkType)
        var best = Double.infinity
        var lastSink = CountingSink()
        var lastCounters = FlowCounters()
        for round in 1...max(1, rounds) {
            var config = AnalyticsConfig()
            config.maxFlows = maxFlows
            let sink = CountingSink()
            let analyzer = FlowAnalyzer(config: config, sink: sink)
            let start = monotonicSeconds()
            capture.bytes.withUnsafeBytes { all in
                for i in 0..<n {
                    let packet = UnsafeRawBufferPointer(rebasing: all[capture.offsets[i] ..< capture.offsets[i] + capture.lengths[i]])
                    analyzer.process(packetBytes: packet, linkType: linkType, timestampNanos: capture.timestamps[i])
                }
                analyzer.finish()
            }
            let elapsed = monotonicSeconds() - start
            print("round \(round): \(String(format: "%.3f", elapsed)) s, \(String(format: "%.2f", Double(n) / elapsed / 1e6)) M packets/s")
            if elapsed < best { best = elapsed }
            lastSink = sink
            lastCounters = analyzer.counters
        }
        let pps = Double(n) / best
        print("best: \(String(format: "%.3f", best)) s = \(String(format: "%.2f", pps / 1e6)) M packets/s (\(String(format: "%.0f", best / Double(n) * 1e9)) ns/packet)")
        print("flows created \(lastCounters.flowsCreated), evicted \(lastCounters.flowsEvicted), expired \(lastCounters.flowsExpired); records \(lastSink.connections), observations \(lastSink.observations)")
        let (rss, hwm) = residentKiB()
        print("RSS \(rss / 1024) MiB, peak \(hwm / 1024) MiB (includes the capture held in memory)")
        if summary {
            let tally = SummarySink()
            let analyzer = FlowAnalyzer(config: AnalyticsConfig(), sink: tally)
            capture.bytes.withUnsafeBytes { all in
                for i in 0..<n {
                    let packet = UnsafeRawBufferPointer(rebasing: all[capture.offsets[i] ..< capture.offsets[i] + capture.lengths[i]])
                    analyzer.process(packetBytes: packet, linkType: linkType, timestampNanos: capture.timestamps[i])
                }
                analyzer.finish()
            }
            tally.print()
        }
        guard !noTcpdump else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tcpdump", "-r", pcap, "-w", "/dev/null"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let t0 = monotonicSeconds()
        do {
            try process.run()
            process.waitUntilExit()
            let tcpdump = monotonicSeconds() - t0
            print("tcpdump -r FILE -w /dev/null: \(String(format: "%.3f", tcpdump)) s (\(String(format: "%.2f", Double(n) / tcpdump / 1e6)) M packets/s, reads from the page cache); analytics / tcpdump time ratio \(String(format: "%.2f", best / tcpdump))")
        } catch {
            print("tcpdump not available: \(error)")
        }
    }
}
