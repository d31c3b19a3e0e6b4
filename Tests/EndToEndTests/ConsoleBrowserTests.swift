import Foundation
import Testing
import VigieTestSupport

/// The operator console in a real headless Chromium: a generated capture in which a service fails
/// midway (vigie-gen --outage), stored by a real agent that exports its records to a real server
/// (embedded SQLite, an operator token), an inventory of the services seen; then
/// Browser/console_check.py logs in with the form, opens every page, checks the DOM, downloads the
/// drill-down pcap through the page's link, takes screenshots, and fails on any console error.
@Suite("Operator console in Chromium", .serialized,
       .enabled(if: ConsoleBrowserTools.available,
                "needs Debian's chromium and chromium-driver, curl, python3 and Python's selenium (scripts/install-deps.sh --test)"))
struct ConsoleBrowserTests {
    static let chromium = ConsoleBrowserTools.chromium, chromedriver = ConsoleBrowserTools.chromedriver

    static let operatorToken = "console-operator-token-0123456789"
    static let readToken = "console-read-token-0123456789"
    /// The generator's first server host, which starts refusing connections at the outage.
    static let failing = "172.16.0.1:443/tcp"

    static func curl(_ argv: [String]) throws -> (status: Int, body: String) {
        let r = try Support.run(["curl", "-s", "-w", "\n%{http_code}"] + argv, lossy: true)
        let cut = r.stdout.lastIndex(of: "\n") ?? r.stdout.startIndex
        return (Int(r.stdout[r.stdout.index(after: cut)...]) ?? 0, String(r.stdout[..<cut]))
    }

    @Test("login, weather (the failing service DOWN with its root cause), node charts and tables, drill-down pcap, map, agents, events")
    func console() throws {
        let dir = Support.temporaryDirectory("console")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bin = URL(fileURLWithPath: Support.agentBinary).deletingLastPathComponent()
        let gen = bin.appendingPathComponent("vigie-gen").path, server = Support.serverBinary, agent = Support.agentBinary
        let serverPort = TestPorts.unused(), agentPort = TestPorts.unused()
        let base = "http://127.0.0.1:\(serverPort)"
        let store = dir + "/store", sample = dir + "/sample.pcap"

        // 2 minutes at 400 packets/s, the first server refusing from 60 s on (as scripts/demo.sh, shorter).
        let g = try Support.run([gen, "--output", sample, "--packets", "48000", "--rate-pps", "400", "--servers", "3", "--clients", "30",
                                 "--seed", "7", "--start", "2026-01-01T10:00:00Z", "--outage", "60-100000", "--outage-server", "0"])
        try #require(g.status == 0, "vigie-gen: \(g.stderr)")

        let serverProcess = try ChildProcesses.start([server, "serve", "--listen", "127.0.0.1:\(serverPort)", "--data", dir + "/server",
                                                      "--operator-token", Self.operatorToken, "--read-token", Self.readToken,
                                                      "--drilldown-allow", "127.0.0.0/8", "--stale-after", "3600", "--log-level", "warning"], log: dir + "/server.log")
        defer { ChildProcesses.stop(serverProcess) }
        // --stale-after 3600: the agent reports once (a replayed capture) and the pages are checked
        // minutes later; its views must still count (they would be UNKNOWN after the default 180 s).
        try #require(ChildProcesses.waitFor(30) { (try? Self.curl([base + "/readyz"]))?.status == 200 }, "the server did not start")

        // The agent announces its query API in its health records (drill-down), exports to the server.
        try "query_api_url: http://127.0.0.1:\(agentPort)\n".write(toFile: dir + "/agent.yaml", atomically: true, encoding: .utf8)
        let ingest = try Support.run([agent, "ingest", "--store", store, "--config", dir + "/agent.yaml", "--agent-id", "console-agent",
                                      "--no-progress", "--log-level", "error", "--http-export", base + "/api/v1/ingest", sample])
        try #require(ingest.status == 0, "ingest: \(ingest.stderr)")
        let api = try ChildProcesses.start([agent, "serve", "--store", store, "--listen", "127.0.0.1:\(agentPort)", "--log-level", "warning"],
                                           log: dir + "/agent.log")
        defer { ChildProcesses.stop(api) }

        // The inventory an operator would declare: the services that worked at some point, per host, under one application.
        let services = Set(try Support.recordLines(store).compactMap { line -> String? in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  o["kind"] as? String == "service_state", o["state"] as? String == "UP" else { return nil }
            return o["service"] as? String
        }).sorted()
        try #require(services.contains(Self.failing), "the agent saw \(Self.failing): \(services)")
        let hosts = Set(services.map { String($0.split(separator: ":")[0]) }).sorted()
        var yaml = "nodes:\n  - {id: console-agent, kind: agent}\n  - {id: shop, kind: application, name: \"Demo shop\"}\n"
        for h in hosts { yaml += "  - {id: \"host-\(h)\", kind: service, name: \"services of \(h)\"}\n" }
        for s in services { yaml += "  - {id: \"\(s)\", kind: endpoint}\n" }
        yaml += "edges:\n"
        for h in hosts { yaml += "  - {child: \"host-\(h)\", parent: shop}\n" }
        for s in services { yaml += "  - {child: \"\(s)\", parent: \"host-\(s.split(separator: ":")[0])\"}\n" }
        try yaml.write(toFile: dir + "/inventory.yaml", atomically: true, encoding: .utf8)
        let put = try Self.curl(["-X", "PUT", "-H", "Authorization: Bearer \(Self.operatorToken)", "-H", "Content-Type: application/yaml",
                                 "--data-binary", "@\(dir)/inventory.yaml", base + "/api/v1/inventory"])
        try #require(put.status == 200, "inventory: \(put.status) \(put.body)")

        // The agent's query API reaches the server with its health record: drill-down answers once it has.
        let escaped = Self.failing.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? Self.failing
        let ready = ChildProcesses.waitFor(60) {
            (try? Self.curl(["-o", "/dev/null", "-H", "Authorization: Bearer \(Self.operatorToken)",
                             base + "/api/v1/drilldown/packets?service=\(escaped)"]))?.status == 200
        }
        try #require(ready, "drill-down never answered; server log: \((try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? "")")

        // The same packets straight from the store: what the page's pcap link must download.
        let expected = dir + "/expected.pcap"
        let q = try Support.run([agent, "query", "--store", store, "-w", expected, "host 172.16.0.1 and port 443 and tcp"])
        try #require(q.status == 0, "query: \(q.stderr)")

        // A healthy endpoint, which the script turns DOWN (a second agent's record) while the weather is open.
        let weather = try Self.curl(["-H", "Authorization: Bearer \(Self.readToken)", base + "/api/v1/weather?all=true"])
        let nodes = (try? JSONSerialization.jsonObject(with: Data(weather.body.utf8)) as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
        let live = try #require(nodes.first { $0["kind"] as? String == "endpoint" && $0["state"] as? String == "OK" && $0["idle"] as? Bool == false
            && ($0["id"] as? String)?.hasSuffix("/tcp") == true }?["id"] as? String, "a healthy endpoint in \(weather.body.prefix(500))")

        let shots = dir + "/screenshots"
        let script = Support.packageRoot.appendingPathComponent("Tests/EndToEndTests/Browser/console_check.py").path
        let r = try Support.run(["env", "SE_OFFLINE=true", "timeout", "600", "python3", script, "--url", base, "--token", Self.operatorToken,
                                 "--out", shots, "--service", Self.failing, "--live-service", live, "--from", "2026-01-01T09:59:00Z", "--to", "2026-01-01T10:03:00Z",
                                 "--expected-pcap", expected, "--chromium", Self.chromium, "--chromedriver", Self.chromedriver], lossy: true)
        print(r.stdout)  // every check the script made, for the CI log
        #expect(r.status == 0, "console_check.py exit \(r.status)\n\(r.stdout.suffix(6000))\n\(r.stderr.suffix(4000))")
        let screenshots = (try? FileManager.default.contentsOfDirectory(atPath: shots))?.filter { $0.hasSuffix(".png") } ?? []
        #expect(screenshots.count >= 7, "a screenshot per page: \(screenshots.sorted())")
        // Keep them where a CI job can pick them up, when asked.
        if let keep = ProcessInfo.processInfo.environment["VIGIE_CONSOLE_SCREENSHOTS"], !keep.isEmpty {
            try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            for s in screenshots { try? FileManager.default.copyItem(atPath: shots + "/" + s, toPath: keep + "/" + s) }
        }
    }
}

/// The browser and its driver (Debian's packages), and Selenium.
enum ConsoleBrowserTools {
    static let chromium = "/usr/bin/chromium", chromedriver = "/usr/bin/chromedriver"

    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: chromedriver)
            && Support.hasTool("curl") && Support.hasTool("python3")
            && (try? Support.run(["python3", "-c", "import selenium"]))?.status == 0
    }
}
