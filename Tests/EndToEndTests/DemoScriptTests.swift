import Foundation
import Testing
import VigieTestSupport

/// The README's first command, `scripts/demo.sh`, with the built binaries and without waiting for
/// Ctrl-C: every step of its story happens, with the figures an independent tool gives.
@Suite("The first five minutes (scripts/demo.sh)", .serialized,
       .enabled(if: Support.hasTool("curl") && Support.hasTool("python3") && Support.hasTool("tshark"), "needs curl, python3 and tshark"))
struct DemoScriptTests {
    @Test("stores the capture, extracts one conversation, shows the failing service going down and the weather with it DOWN")
    func wholeStory() throws {
        let dir = Support.temporaryDirectory("demo")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bin = URL(fileURLWithPath: Support.agentBinary).deletingLastPathComponent().path
        let script = Support.packageRoot.appendingPathComponent("scripts/demo.sh").path
        let r = try Support.run(["env", "DEMO_DIR=\(dir)", "DEMO_PORT=\(TestPorts.unused())", "DEMO_BIN=\(bin)", "DEMO_NO_WAIT=1",
                                 "timeout", "600", "bash", script])
        let out = r.stdout
        #expect(r.status == 0, "exit \(r.status)\n\(out.suffix(3000))\n\(r.stderr.suffix(3000))")
        // The generator's outage, as it reports it.
        #expect(out.contains("by the outage)") && !out.contains("(0 by the outage)"), "\(out.prefix(2000))")

        // 3. The conversation: what the demo wrote equals the CLI's count, one TCP connection (tshark).
        let pcap = dir + "/conversation.pcap"
        let packets = try Support.run(["tshark", "-r", pcap, "-T", "fields", "-e", "tcp.stream"]).stdout
            .split(separator: "\n").filter { !$0.isEmpty }
        #expect(packets.count >= 6, "a complete connection has at least a handshake, data and its close")
        #expect(Set(packets) == ["0"], "one TCP conversation: streams \(Set(packets))")
        // `vigie-agent query --count` of the same expression, as the demo printed it.
        let count = out.split(separator: "\n").first { $0.wholeMatch(of: #/\s{3}\d+ packets, \d+ bytes/#) != nil }
        #expect(count?.hasPrefix("   \(packets.count) packets,") == true, "\(count.map(String.init) ?? "no count line")")

        // 4. The agent saw the HTTPS service of the failing host go from UP to REFUSED.
        #expect(out.split(separator: "\n").contains { $0.contains("172.16.0.1:443/tcp") && $0.contains("UP") && $0.contains("-> REFUSED") },
                "\(out)")

        // 5. The weather: that endpoint DOWN, and the demo application not OK because of it.
        let weather = out.components(separatedBy: "== the weather").last ?? ""
        #expect(weather.split(separator: "\n").contains { $0.contains("172.16.0.1:443/tcp") && $0.contains(" DOWN ") }, "\(weather)")
        #expect(weather.split(separator: "\n").contains { $0.contains("shop") && !$0.contains(" OK ") && $0.contains("root cause") }, "\(weather)")
        #expect(out.contains("Console: http://127.0.0.1:"))

        // The metric history of the failing endpoint, per minute: attempts are the SYNs to it and
        // refused its RST answers, counted by tshark in the same minutes of the capture.
        let history = (out.components(separatedBy: "== the metric history").last ?? "").split(separator: "\n")
            .compactMap { $0.wholeMatch(of: #/\s+(\S+)T(\d\d):(\d\d)\S*\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+/#) }
        #expect(history.count == 4, "one row per minute of the 4-minute capture: \(out.suffix(1500))")
        for row in history {
            let minute = try #require(Int(row.output.3))
            let start = 1_767_261_600 + minute * 60  // 2026-01-01T10:MM:00Z
            func count(_ filter: String) throws -> Int {
                try Support.run(["tshark", "-r", dir + "/sample.pcap", "-Y", "\(filter) && frame.time_epoch >= \(start) && frame.time_epoch < \(start + 60)"])
                    .stdout.split(separator: "\n").count
            }
            let syns = try count("ip.dst == 172.16.0.1 && tcp.dstport == 443 && tcp.flags.syn == 1 && tcp.flags.ack == 0")
            let resets = try count("ip.src == 172.16.0.1 && tcp.srcport == 443 && tcp.flags.reset == 1 && tcp.flags.ack == 1")
            #expect(Int(row.output.4) == syns && Int(row.output.6) == resets, "minute \(minute): \(row.output.0) vs \(syns) SYNs, \(resets) RSTs")
        }
        #expect(history.contains { Int($0.output.6) ?? 0 > 0 } && history.contains { Int($0.output.6) == 0 }, "the outage shows in the history")
    }
}
