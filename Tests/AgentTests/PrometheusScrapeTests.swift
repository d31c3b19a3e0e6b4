import Foundation
import Testing
import VigieTestSupport

@testable import Agent

/// A real Prometheus (Debian's `prometheus`) scrapes an agent capturing a replay and the server it
/// exports to, all three inside the receiving network namespace (on its own loopback): what
/// Prometheus stores equals the agent's `status` and the server's own counts; the alert rules and the
/// dashboard's queries (Packaging/prometheus/) pass `promtool` and name only metrics of that scrape.
@Suite("Prometheus scrape", .serialized,
       .enabled(if: NetnsPair.available, "needs root, iproute2 and tcpreplay (network namespaces)"),
       .enabled(if: Support.hasTool("prometheus") && Support.hasTool("promtool"), "needs Debian's prometheus package (prometheus, promtool)"))
struct PrometheusScrapeTests {
    static let serverPort = 18_080, metricsPort = 19_471, prometheusPort = 19_090

    @Test("Prometheus stores what the agent and the server count; rules and dashboard use only scraped names",
          .enabled(if: Support.hasCorpus, "corpus ../shared/corpus is absent: skipped"))
    func scrape() throws {
        let pair = try NetnsPair()
        defer { pair.tearDown() }
        let dir = Support.temporaryDirectory("prometheus")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inB = ["ip", "netns", "exec", pair.nsB]
        #expect(try Support.run(inB + ["ip", "link", "set", "lo", "up"]).status == 0)

        // The server also consumes Kafka (an empty group: the agent exports over HTTP) and produces
        // its state changes there, so that every metric the rules and the dashboard name is scraped.
        let mockBinary = try #require(KafkaMockProcess.binary, "vigie-kafka-mock is not built")
        let mock = try ChildProcesses.start(["/usr/bin/env"] + inB + [mockBinary, "--bootstrap-file", dir + "/bootstrap", "--topic", "vigie.events"], log: dir + "/mock.log")
        defer { ChildProcesses.stop(mock) }
        #expect(ChildProcesses.waitFor(20) { !Self.text(dir + "/bootstrap").isEmpty })
        let bootstrap = Self.text(dir + "/bootstrap").trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try ChildProcesses.start(["/usr/bin/env"] + inB + [Support.serverBinary, "serve", "--data", dir + "/server", "--listen", "127.0.0.1:\(Self.serverPort)",
                                           "--kafka", bootstrap, "--events-kafka-topic", "vigie.events"],
                                    log: dir + "/server.log")
        defer { ChildProcesses.stop(server) }
        let store = dir + "/store"
        let agent = try pair.startAgent(store: store, extra: [
            "--metrics-listen", "\(Self.metricsPort)", "--agent-id", "scraped",
            "--http-export", "http://127.0.0.1:\(Self.serverPort)/api/v1/ingest",
        ])
        defer { ChildProcesses.stop(agent) }
        #expect(NetnsPair.waitForStatus(store), "agent did not start: \(Self.text(store + ".log"))")

        try """
        global: {scrape_interval: 1s, evaluation_interval: 1s}
        scrape_configs:
          - job_name: vigie-agent
            static_configs: [{targets: ["127.0.0.1:\(Self.metricsPort)"]}]
          - job_name: vigie-server
            static_configs: [{targets: ["127.0.0.1:\(Self.serverPort)"]}]
        """.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let prometheus = try ChildProcesses.start(["/usr/bin/env"] + inB + ["prometheus", "--config.file", dir + "/prometheus.yml", "--storage.tsdb.path", dir + "/tsdb",
                                               "--web.listen-address", "127.0.0.1:\(Self.prometheusPort)"], log: dir + "/prometheus.log")
        defer { ChildProcesses.stop(prometheus) }
        let query = PrometheusQuery(namespace: inB, port: Self.prometheusPort)
        #expect(ChildProcesses.waitFor(60) { (try? query.targetsUp()) == 2 }, "targets not up: \(Self.text(dir + "/prometheus.log").suffix(2000))")

        let sent = try pair.replay(Support.corpusPath("zeek_echo-connections.pcap"), options: ["--pps", "20000"])
        #expect(sent > 0)
        let layout = StoreLayout(root: store)
        // The agent has everything, and the server has every record the agent delivered.
        #expect(ChildProcesses.waitFor(60) {
            guard let s = try? StatusReport.read(layout: layout), s.pipeline.packetsReceived == UInt64(sent),
                  let sink = s.export?.sinks.first else { return false }
            return sink.delivered > 0 && sink.pending == 0
        }, "agent did not deliver: \(Self.text(store + ".log").suffix(2000))")

        // What Prometheus stored equals the status of the same moment (records keep coming as windows
        // close: compare until one scrape and one status agree on everything).
        var last: [String: (prometheus: Double?, expected: Double)] = [:]
        let agreed = ChildProcesses.waitFor(60) {
            guard let s = try? StatusReport.read(layout: layout), let sink = s.export?.sinks.first else { return false }
            let expected: [(String, Double)] = [
                ("vigie_agent_packets_received_total", Double(s.pipeline.packetsReceived)),
                ("vigie_agent_packets_stored_total", Double(s.storage.packetsStored)),
                ("vigie_agent_stored_bytes_total", Double(s.storage.bytesStored)),
                ("vigie_agent_segments_written_total", Double(s.storage.segmentsCreated)),
                ("vigie_agent_store_bytes", Double(s.storage.storeBytes)),
                (#"sum(vigie_agent_packets_dropped_total{reason=~"kernel|interface"})"#,
                 Double((s.capture?.droppedByKernel ?? 0) + (s.capture?.droppedByInterface ?? 0))),
                ("vigie_agent_flows_created_total", Double(s.analytics?.flowsCreated ?? 0)),
                ("sum(vigie_agent_records_emitted_total)", Double(s.analytics?.recordsEmitted ?? 0)),
                (#"vigie_agent_sink_delivered_records_total{sink="\#(sink.name)"}"#, Double(sink.delivered)),
                (#"vigie_agent_store_state{state="storing"}"#, 1),
                ("vigie_agent_up", 1),
                // The server applied every record the agent delivered, once.
                ("vigie_server_records_ingested_total", Double(sink.delivered)),
                ("vigie_server_agents", 1),
            ]
            last = [:]
            for (q, v) in expected { last[q] = ((try? query.value(q)) ?? nil, v) }
            return last.values.allSatisfy { $0.prometheus == $0.expected }
        }
        #expect(agreed, "Prometheus vs status: \(last.filter { $0.value.prometheus != $0.value.expected })")
        #expect(try query.value("vigie_agent_packets_received_total") == Double(sent))
        #expect(try query.value(#"vigie_agent_queries_total{outcome="served"}"#) == 0)

        // The probes of the metrics-only listener answer from the host's view of the namespace too.
        #expect(try Support.run(inB + ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(Self.metricsPort)/readyz"]).stdout == "200")
        #expect(try Support.run(inB + ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(Self.serverPort)/readyz"]).stdout == "200")

        // Rules and dashboard: valid for promtool, and every metric they name is in this scrape.
        let names = try query.metricNames()
        #expect(names.contains("vigie_agent_packets_received_total") && names.contains("vigie_server_records_ingested_total"))
        let rules = Support.packageRoot.appendingPathComponent("Packaging/prometheus/vigie-rules.yml").path
        let check = try Support.run(["promtool", "check", "rules", rules])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let test = try Support.run(["promtool", "test", "rules", Support.packageRoot.appendingPathComponent("Packaging/prometheus/vigie-rules.test.yml").path])
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
        let dashboard = Support.packageRoot.appendingPathComponent("Packaging/grafana/vigie-dashboard.json").path
        let expressions = try GrafanaDashboard.expressions(dashboard)
        #expect(expressions.count >= 10)
        // The dashboard's queries as recording rules: promtool parses each one.
        let asRules = dir + "/dashboard-rules.yml"
        try GrafanaDashboard.recordingRules(expressions).write(toFile: asRules, atomically: true, encoding: .utf8)
        let parsed = try Support.run(["promtool", "check", "rules", asRules])
        #expect(parsed.status == 0, "\(parsed.stdout)\(parsed.stderr)")
        // Each query evaluates on the real scrape without an error.
        for e in expressions {
            do { _ = try query.evaluateDashboard(e) } catch { Issue.record("dashboard query \(e): \(error)") }
        }
        let rulesText = try String(contentsOfFile: rules, encoding: .utf8)
        for name in Set(MetricNames.referenced(in: rulesText) + expressions.flatMap(MetricNames.referenced)) {
            #expect(names.contains(name), "\(name) is used by the rules or the dashboard but not exposed")
        }
    }

    static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
}

/// Prometheus' HTTP API, inside a network namespace.
struct PrometheusQuery {
    let namespace: [String]
    let port: Int

    struct Failure: Error, CustomStringConvertible { var description: String }

    private func get(_ path: String, _ parameters: [String] = []) throws -> [String: Any] {
        var argv = namespace + ["curl", "-s", "-G", "http://127.0.0.1:\(port)\(path)"]
        for p in parameters { argv += ["--data-urlencode", p] }
        let r = try Support.run(argv)
        guard r.status == 0, let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw Failure(description: "\(path): \(r.stdout) \(r.stderr)")
        }
        guard json["status"] as? String == "success" else { throw Failure(description: "\(path): \(r.stdout)") }
        return json
    }

    /// Active targets whose last scrape succeeded.
    func targetsUp() throws -> Int {
        let data = try get("/api/v1/targets")["data"] as? [String: Any]
        let active = data?["activeTargets"] as? [[String: Any]] ?? []
        return active.filter { $0["health"] as? String == "up" }.count
    }

    /// The instant vector of `expression`.
    func evaluate(_ expression: String) throws -> [[String: Any]] {
        let data = try get("/api/v1/query", ["query=\(expression)"])["data"] as? [String: Any]
        return data?["result"] as? [[String: Any]] ?? []
    }

    /// The value of a one-element instant vector, nil when it is empty.
    func value(_ expression: String) throws -> Double? {
        let result = try evaluate(expression)
        guard let first = result.first, let pair = first["value"] as? [Any], pair.count == 2, let text = pair[1] as? String else { return nil }
        return Double(text)
    }

    /// Every metric name Prometheus holds (histograms as their `_bucket`, `_sum`, `_count` series).
    func metricNames() throws -> Set<String> {
        Set(try get("/api/v1/label/__name__/values")["data"] as? [String] ?? [])
    }
}

/// The PromQL expressions of a Grafana dashboard (every panel target's `expr`, nested rows too).
enum GrafanaDashboard {
    static func expressions(_ path: String) throws -> [String] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        var out: [String] = []
        func walk(_ v: Any) {
            if let d = v as? [String: Any] {
                if let e = d["expr"] as? String { out.append(e) }
                for (_, child) in d { walk(child) }
            } else if let a = v as? [Any] {
                for child in a { walk(child) }
            }
        }
        walk(json)
        return out
    }

    /// The expressions as a recording-rule file, for `promtool check rules`. Grafana's `$__rate_interval`
    /// becomes a fixed range, and template variables match everything.
    static func recordingRules(_ expressions: [String]) -> String {
        var text = "groups:\n  - name: dashboard\n    rules:\n"
        for (i, e) in expressions.enumerated() {
            let promql = grafanaToPromQL(e).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            text += "      - record: dashboard_query_\(i)\n        expr: \"\(promql)\"\n"
        }
        return text
    }

    static func grafanaToPromQL(_ e: String) -> String {
        e.replacingOccurrences(of: "$__rate_interval", with: "1m").replacingOccurrences(of: "$__interval", with: "1m")
            .replacingOccurrences(of: "\"$agent\"", with: "\".*\"").replacingOccurrences(of: "\"$server\"", with: "\".*\"")
            .replacingOccurrences(of: "\"$job\"", with: "\".*\"")
    }
}

extension PrometheusQuery {
    func evaluateDashboard(_ e: String) throws -> [[String: Any]] { try evaluate(GrafanaDashboard.grafanaToPromQL(e)) }
}

/// Metric names in a PromQL text: `vigie_…` identifiers, histogram suffixes kept as exposed.
enum MetricNames {
    static func referenced(in text: String) -> [String] {
        var names: [String] = []
        var current = ""
        for c in text + " " {
            if c.isLetter || c.isNumber || c == "_" {
                current.append(c)
            } else {
                if current.hasPrefix("vigie_") { names.append(current) }
                current = ""
            }
        }
        return names
    }
}
