import Foundation
import Testing
import VigieTestSupport

@testable import Agent

/// Hostile traffic on a live link (veth between two namespaces, tcpreplay): a SYN flood of random
/// sources with normal sessions inside it and fragments that never complete, against a 1,024-flow
/// table. Storage keeps every packet; analytics evicts, counts and still sees the sessions.
@Suite("Live overload", .serialized,
       .enabled(if: NetnsPair.available, "needs root, iproute2 and tcpreplay (network namespaces)"),
       .enabled(if: FloodCapture.path != nil, "scapy is not importable: flood capture not generated"))
struct LiveOverloadTests {
    @Test("a SYN flood: storage complete, analytics bounded and its counters honest")
    func synFlood() throws {
        let input = try #require(FloodCapture.path)
        let pair = try NetnsPair()
        defer { pair.tearDown() }
        let store = Support.temporaryDirectory("flood")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let config = store + ".yaml"
        try "analytics:\n  max_flows: 1024\n".write(toFile: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let agent = try pair.startAgent(store: store, extra: ["--config", config])
        defer { if agent.isRunning { kill(agent.processIdentifier, SIGKILL) } }
        #expect(NetnsPair.waitForStatus(store), "agent did not start: \((try? String(contentsOfFile: store + ".log", encoding: .utf8)) ?? "")")
        let sent = try pair.replay(input, options: ["--pps", "20000"])
        usleep(1_500_000)
        agent.terminate()
        agent.waitUntilExit()
        #expect(agent.terminationStatus == 0)
        #expect(sent == 20_700)

        let status = try #require(try StatusReport.read(layout: StoreLayout(root: store)))
        #expect(status.capture?.droppedByKernel == 0)
        #expect(status.storage.packetsStored == UInt64(sent), "storage never sheds")
        let analytics = try #require(status.analytics)
        // Honest: every packet received was analysed or counted as shed.
        #expect(analytics.packetsAnalysed + analytics.shedRingFull + analytics.shedTooLarge == status.pipeline.packetsReceived)
        #expect(analytics.flowsEvicted > 0, "20,000 one-packet flows through a 1,024-flow table")
        #expect(analytics.flowsActive == 0)

        let records = try Support.recordLines(store).compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let conns = records.filter { ($0["kind"] as? String) == "conn" }
        #expect(UInt64(conns.count) == analytics.flowsCreated, "one conn record per flow, evicted ones included")
        // The 50 normal sessions inside the flood are seen whole (handshake, data, both FINs).
        let sessions = conns.filter { ($0["resp_p"] as? Int) == 8080 }
        #expect(sessions.count == 50)
        #expect(sessions.allSatisfy { ($0["conn_state"] as? String) == "SF" }, "\(sessions.compactMap { $0["conn_state"] as? String })")
        let health = try #require(records.last { ($0["kind"] as? String) == "agent_health" })
        #expect((health["flow_evictions"] as? Int ?? 0) > 0)
        #expect(health["analytics_shed"] is [String: Any])
    }
}

/// `Scripts/flood_captures.py`'s capture, generated once per test process.
enum FloodCapture {
    static let generated = ScriptCaptures(script: "flood_captures.py", purpose: "flood")
    static var path: String? { generated.path("synflood") }
}
