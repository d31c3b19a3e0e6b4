import ArgumentParser
import Foundation
import Analytics
import PacketDecoding

struct FlowMemoryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flow-memory",
        abstract: "Memory of N concurrent flows (TCP handshakes, IPv4) in the flow table.")

    @Option(help: "Concurrent flows to create.") var flows = 1_000_000

    func run() throws {
        let before = residentKiB()
        var config = AnalyticsConfig()
        config.maxFlows = flows
        let sink = CountingSink()
        let analyzer = FlowAnalyzer(config: config, sink: sink)
        // Ethernet + IPv4 + TCP SYN; the client address and port vary per flow.
        var frame: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
                              0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 0, 192, 168, 0, 1,
                              0, 0, 1, 187, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0]
        let t0: Int64 = 1_767_225_600_000_000_000
        let start = monotonicSeconds()
        frame.withUnsafeMutableBytes { p in
            for i in 0..<flows {
                let host = UInt32(i / 50_000), port = UInt16(10_000 + i % 50_000)
                p[28] = UInt8(truncatingIfNeeded: host >> 16); p[29] = UInt8(truncatingIfNeeded: host >> 8)
                p[30] = UInt8(truncatingIfNeeded: host)
                p[34] = UInt8(port >> 8); p[35] = UInt8(port & 0xFF)
                // 200 ns apart: a million flows open within 0.2 s, well inside every timeout.
                analyzer.process(packetBytes: UnsafeRawBufferPointer(p), linkType: .ethernet,
                                 timestampNanos: t0 + Int64(i) * 200)
            }
        }
        let elapsed = monotonicSeconds() - start
        let after = residentKiB()
        let active = analyzer.counters.activeFlows
        let perFlow = Double(after.rss - before.rss) * 1024 / Double(max(1, active))
        print("flows active \(active) (created \(analyzer.counters.flowsCreated), evicted \(analyzer.counters.flowsEvicted)) in \(String(format: "%.2f", elapsed)) s")
        print("VmRSS \(after.rss / 1024) MiB (before \(before.rss / 1024) MiB), VmHWM \(after.hwm / 1024) MiB; \(String(format: "%.0f", perFlow)) bytes per flow")
        print("FlowEntry stride \(FlowAnalyzer.entryStride) bytes")
    }
}
