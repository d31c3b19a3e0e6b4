import Foundation
import Observability
import PcapKit
import Records
import Transport
import Testing
import VigieTestSupport

@testable import Agent
@testable import AgentHTTP

/// The agent's metrics: one documented catalog, the status mirrored exactly (resets included), the
/// metrics-only listener (odd Accept headers, a scrape storm, a taken port, an exposed address) and
/// the readiness reasons.
@Suite("Agent metrics and probes")
struct AgentMetricsTests {
    @Test("every metric of the catalog is documented in docs/metrics.md and named by the conventions")
    func catalogDocumented() throws {
        let doc = try String(contentsOf: Support.packageRoot.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        #expect(Set(AgentMetrics.catalog.map(\.name)).count == AgentMetrics.catalog.count)
        for m in AgentMetrics.catalog {
            #expect(doc.contains("`\(m.name)"), "\(m.name) is not in docs/metrics.md")
            #expect(m.name.hasPrefix("vigie_agent_") && !m.help.isEmpty)
            switch m.kind {
            case .counter: #expect(m.name.hasSuffix("_total"), "\(m.name): a counter ends in _total")
            case .gauge: #expect(!m.name.hasSuffix("_total"), "\(m.name): a gauge does not end in _total")
            case .histogram: #expect(m.name.hasSuffix("_seconds") || m.name.hasSuffix("_bytes"), "\(m.name): a histogram is in a base unit")
            }
        }
    }

    static func report(received: UInt64, stored: UInt64, kernelDrops: UInt64, delivered: UInt64) -> StatusReport {
        var pipeline = PipelineCounters()
        pipeline.packetsReceived = received
        pipeline.bytesReceived = received * 100
        var storage = StoreCounters()
        storage.packetsStored = stored
        storage.notStoredQuota = received - stored
        storage.state = .quotaReached
        storage.retention = "linear"
        storage.quotaBytes = 1 << 30
        var sink = SinkStats(name: "http")
        sink.delivered = delivered
        sink.pending = 7
        sink.lastDeliveredAt = 1_800_000_000.5
        var spool = SpoolStats()
        spool.bytes = 4096
        spool.quotaBytes = 1 << 20
        return StatusReport(pid: 1, mode: "capture", sources: ["eth0"], startedAt: Date(timeIntervalSince1970: 1_799_999_000),
                            updatedAt: Date(timeIntervalSince1970: 1_800_000_001), running: true, pipeline: pipeline,
                            capture: CaptureCounters(received: received, droppedByKernel: kernelDrops, droppedByInterface: 0),
                            storage: storage, packetsPerSecond: nil, analytics: nil,
                            export: ExportStatus(spool: spool, sinks: [sink]))
    }

    /// `name{labels} value` lines of an exposition.
    static func samples(_ text: [UInt8]) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = v
        }
        return out
    }

    @Test("a status report becomes counters and gauges with its values; later reports add the difference, a restart counts again")
    func statusMirrored() {
        let metrics = AgentMetrics()
        AgentMetrics.record(Self.report(received: 1000, stored: 900, kernelDrops: 3, delivered: 50), into: metrics.mirror)
        var s = Self.samples(metrics.exposition.render())
        #expect(s["vigie_agent_packets_received_total"] == 1000)
        #expect(s["vigie_agent_received_bytes_total"] == 100_000)
        #expect(s["vigie_agent_packets_stored_total"] == 900)
        #expect(s[#"vigie_agent_packets_dropped_total{reason="kernel"}"#] == 3)
        #expect(s[#"vigie_agent_packets_dropped_total{reason="quota"}"#] == 100)
        #expect(s[#"vigie_agent_store_state{state="quota-reached"}"#] == 1)
        #expect(s[#"vigie_agent_store_state{state="storing"}"#] == 0)
        #expect(s[#"vigie_agent_store_quota_bytes{retention="linear"}"#] == Double(1 << 30))
        #expect(s[#"vigie_agent_sink_delivered_records_total{sink="http"}"#] == 50)
        #expect(s[#"vigie_agent_sink_pending_records{sink="http"}"#] == 7)
        #expect(s[#"vigie_agent_sink_last_delivery_timestamp_seconds{sink="http"}"#] == 1_800_000_000.5)
        #expect(s["vigie_agent_spool_quota_bytes"] == Double(1 << 20))
        #expect(s["vigie_agent_status_timestamp_seconds"] == 1_800_000_001)
        #expect(s["vigie_agent_up"] == 1)
        AgentMetrics.record(Self.report(received: 1500, stored: 1400, kernelDrops: 3, delivered: 80), into: metrics.mirror)
        s = Self.samples(metrics.exposition.render())
        #expect(s["vigie_agent_packets_received_total"] == 1500)
        #expect(s[#"vigie_agent_sink_delivered_records_total{sink="http"}"#] == 80)
        // The agent restarted under a `serve` that kept running: its new totals add up, never go back.
        AgentMetrics.record(Self.report(received: 200, stored: 200, kernelDrops: 0, delivered: 10), into: metrics.mirror)
        s = Self.samples(metrics.exposition.render())
        #expect(s["vigie_agent_packets_received_total"] == 1700)
        #expect(s[#"vigie_agent_sink_delivered_records_total{sink="http"}"#] == 90)
    }

    /// A store with its catalog and a status file, for readiness.
    static func store(_ report: StatusReport?) throws -> (StoreLayout, String) {
        let dir = Support.temporaryDirectory("ready")
        let layout = StoreLayout(root: dir)
        try FileManager.default.createDirectory(atPath: layout.catalogDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: layout.stateDirectory, withIntermediateDirectories: true)
        try report?.write(layout: layout)
        return (layout, dir)
    }

    @Test("readiness of a capture: each reason is named; a fresh, storing capture with room is ready")
    func readinessReasons() throws {
        var ok = Self.report(received: 10, stored: 10, kernelDrops: 0, delivered: 1)
        ok.storage.state = .storing
        let now = ok.updatedAt.addingTimeInterval(2)
        let capturing = AgentReadiness.capturing()
        var cases: [(StatusReport?, String?)] = [(ok, nil), (nil, "has not reported yet")]
        var stopped = ok; stopped.running = false; cases.append((stopped, "has stopped"))
        var quota = ok; quota.storage.state = .quotaReached; cases.append((quota, "not storing (quota-reached"))
        var spool = ok; spool.export?.spool?.bytes = 1 << 20; cases.append((spool, "spool is full"))
        for (report, reason) in cases {
            let (layout, dir) = try Self.store(report)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let reasons = capturing.reasons(layout: layout, now: now)
            if let reason {
                #expect(reasons.count == 1 && reasons[0].contains(reason), "\(reasons)")
            } else {
                #expect(reasons.isEmpty, "\(reasons)")
            }
            #expect(AgentReadiness.storeReadable.reasons(layout: layout, now: now).isEmpty)
        }
        // A capture thread that stopped reporting (stuck) while the process lives.
        let (layout, dir) = try Self.store(ok)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let stale = capturing.reasons(layout: layout, now: ok.updatedAt.addingTimeInterval(30))
        #expect(stale.count == 1 && stale[0].contains("last reported 30 s ago"), "\(stale)")
        #expect(AgentReadiness.storeReadable.reasons(layout: StoreLayout(root: dir + "/none"), now: now) == ["the store has no catalog"])
    }
}

/// The metrics-only listener of a real `vigie-agent serve`.
@Suite("Agent metrics listener", .serialized, .enabled(if: Support.hasCorpus && Support.hasTool("curl"), "needs the corpus and curl"))
struct AgentMetricsListenerTests {
    let metricsPort = TestPorts.unused()

    func serve() throws -> AgentServeProcess {
        try AgentServeProcess(tag: "metrics", logLevel: "warning", probe: "/api/v1/status") { store, _ in
            _ = try Support.run([Support.agentBinary, "ingest", "--store", store, "--no-progress", Support.corpusPath("zeek_http_methods.pcap")])
            return ["--metrics-listen", "\(metricsPort)"]
        }
    }

    @Test("any Accept header gets the text format; the figures are the status's; only the probes and /metrics are there")
    func oddAcceptHeaders() throws {
        let agent = try serve()
        let status = try #require(try StatusReport.read(layout: StoreLayout(root: agent.store)))
        let url = "http://127.0.0.1:\(metricsPort)"
        for accept in ["application/openmetrics-text; version=1.0.0; charset=utf-8", "application/json", "*/*", "text/html;q=0.1, x/y",
                       "", "garbage;;;q=abc", String(repeating: "a", count: 4000)] {
            let r = try Support.run(["curl", "-s", "-H", "Accept: \(accept)", "-w", "\n%{http_code} %{content_type}", url + "/metrics"])
            let lines = r.stdout.split(separator: "\n")
            #expect(lines.last == "200 \(MetricsExposition.contentType)", "Accept \(accept.prefix(40)): \(lines.last ?? "")")
            #expect(r.stdout.contains("vigie_agent_packets_received_total \(status.pipeline.packetsReceived)\n"))
        }
        // A byte no header may hold is refused by the HTTP layer, with a problem body.
        let bad = try Support.run(["curl", "-s", "-H", "Accept: \u{7f}x", "-w", "\n%{http_code}", url + "/metrics"])
        #expect(bad.stdout.hasSuffix("\n400"), "\(bad.stdout)")
        let code = { (path: String, method: String) in
            try Support.run(["curl", "-s", "-o", "/dev/null", "-X", method, "-w", "%{http_code}", url + path]).stdout
        }
        #expect(try code("/healthz", "GET") == "200")
        #expect(try code("/readyz", "GET") == "200")
        #expect(try code("/api/v1/segments", "GET") == "404")
        #expect(try code("/metrics", "POST") == "405")
    }

    @Test("a scrape storm (200 scrapes, 20 at a time) is answered in full")
    func scrapeStorm() throws {
        let agent = try serve()
        _ = agent
        let r = try Support.run(["bash", "-c", "seq 200 | xargs -P 20 -I{} curl -s -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:\(metricsPort)/metrics"])
        let codes = r.stdout.split(separator: "\n")
        #expect(codes.count == 200)
        #expect(codes.allSatisfy { $0 == "200" }, "\(Dictionary(grouping: codes, by: { $0 }).mapValues(\.count))")
    }

    @Test("a taken port, a bad port and an unprotected address stop the agent at start, naming --metrics-listen")
    func startupErrors() throws {
        let agent = try serve()
        let store = agent.store
        for (address, message) in [("\(agent.port)", "Address already in use"), ("70000", "1...65535"), ("0.0.0.0:\(TestPorts.unused())", "refuses to listen on 0.0.0.0")] {
            let r = try Support.run(["timeout", "20", Support.agentBinary, "serve", "--store", store, "--listen", "127.0.0.1:\(TestPorts.unused())",
                                     "--metrics-listen", address])
            #expect(r.status != 0 && r.status != 124, "\(address): exit \(r.status)")
            #expect(r.stderr.contains("--metrics-listen") && r.stderr.contains(message), "\(address): \(r.stderr)")
        }
    }
}
