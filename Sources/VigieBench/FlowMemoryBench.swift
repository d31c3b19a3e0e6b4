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
        // The three budgets of issue 18: the table itself, the tunnel side table, the stream buffers.
        let indexPerFlow = Double(analyzer.indexBytes) / Double(max(1, flows))
        print("table: FlowEntry stride \(FlowAnalyzer.entryStride) bytes + index \(String(format: "%.1f", indexPerFlow)) bytes = \(String(format: "%.1f", Double(FlowAnalyzer.entryStride) + indexPerFlow)) bytes per flow (\(analyzer.indexBytes / 1024) KiB of index)")
        let side = analyzer.sideTables
        print("extras side table: \(side.extras) held (peak \(side.peakExtras)) x \(FlowAnalyzer.extrasStride) bytes = \(side.peakExtras * FlowAnalyzer.extrasStride / 1024) KiB; cap \(flows) (one per flow at most)")
        print("tunnel side table: \(side.tunnels) tunnelled flows, \(side.tunnelSlots) slots x \(side.tunnelStride) bytes = \(side.tunnelSlots * side.tunnelStride / 1024) KiB")
        if let app = analyzer.applicationAnalyzer as? StandardApplicationAnalyzer {
            let r = app.reassembly
            print("application state: \(app.flowStates) flows (peak \(app.peakFlowStates), refused \(app.flowStatesRefused)) x \(StandardApplicationAnalyzer.flowStateStride) bytes; cap \(app.maxFlowStates) flows")
            print("reassembly buffers: \(r.bytesHeld) bytes held (peak \(r.peakBytesHeld)); caps \(config.reassembly.maxFlowBytes / 1024) KiB a flow, \(config.reassembly.maxTotalBytes / 1024 / 1024) MiB in all")
        }
    }
}
