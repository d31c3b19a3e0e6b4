import Foundation
import Testing
import VigieTestSupport

@testable import Agent

/// Starts the real `vigie-agent serve` and talks to it with curl (an independent client).
@Suite("HTTP query API", .serialized, .enabled(if: Support.hasCorpus && Support.hasTool("curl"), "needs the corpus and curl"))
struct HTTPAPITests {
    /// A store with a few captures and a running server on a free loopback port.
    final class Fixture {
        let process: AgentServeProcess
        var dir: String { process.dir }
        var server: Process { process.server }
        var store: String { process.store }
        var port: Int { process.port }

        init() throws {
            process = try AgentServeProcess(tag: "http", logLevel: "warning", probe: "/api/v1/status") { store, _ in
                let files = ["zeek_http_methods.pcap", "zeek_http-vlan-0.pcap", "zeek_smtp.pcap"].map(Support.corpusPath)
                _ = try Support.run([Support.agentBinary, "ingest", "--store", store, "--no-progress"] + files)
                return []
            }
        }

        func url(_ path: String) -> String { process.url(path) }
    }

    @Test("packets: the HTTP answer is byte-identical to the CLI's")
    func packetsMatchCLI() throws {
        let f = try Fixture()
        for q in ["tcp port 80", "host 10.10.1.4", ""] {
            let http = f.dir + "/http.pcap", cli = f.dir + "/cli.pcap"
            let r = try Support.run(["curl", "-s", "-G", "-o", http, "-w", "%{http_code} %{content_type}", "--data-urlencode", "q=\(q)",
                                     "--data-urlencode", "link_type=1", f.url("/api/v1/packets")])
            #expect(r.stdout == "200 application/vnd.tcpdump.pcap", "\(q): \(r.stdout)")
            #expect(try Support.run([Support.agentBinary, "query", "--store", f.store, "--link-type", "1", "-w", cli, q]).status == 0)
            let a = try Data(contentsOf: URL(fileURLWithPath: http)), b = try Data(contentsOf: URL(fileURLWithPath: cli))
            #expect(a == b, "\(q): HTTP \(a.count) bytes, CLI \(b.count) bytes")
            // And tshark reads it straight from the pipe.
            let t = try Support.run(["sh", "-c", "curl -s -G --data-urlencode 'q=\(q)' --data-urlencode link_type=1 '\(f.url("/api/v1/packets"))' | tshark -r - -T fields -e frame.number | wc -l"])
            #expect(Int(t.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == (try Support.tsharkFingerprint([cli]).count))
        }
        let limited = try Support.run(["sh", "-c", "curl -s '\(f.url("/api/v1/packets?link_type=1&limit=5"))' | tshark -r - -T fields -e frame.number | wc -l"])
        #expect(limited.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "5")
    }

    @Test("bad requests answer 400 with a problem pointing at the position")
    func badRequests() throws {
        let f = try Fixture()
        let r = try Support.run(["curl", "-s", "-G", "-w", "\n%{http_code}", "--data-urlencode", "q=port 80 and host 1.2.3.999", f.url("/api/v1/packets")])
        let parts = r.stdout.split(separator: "\n")
        #expect(parts.last == "400")
        let problem = try JSONSerialization.jsonObject(with: Data(parts.first!.utf8)) as! [String: Any]
        #expect(problem["status"] as? Int == 400)
        #expect(problem["position"] as? Int == 17)
        for path in ["/api/v1/packets?limit=0", "/api/v1/packets?from=yesterday-ish", "/api/v1/packets?from=1h%20ago&to=2h%20ago",
                     "/api/v1/packets?q=tcp+and+vlan+5000", "/api/v1/segments?from=nonsense"] {
            let c = try Support.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f.url(path)])
            #expect(c.stdout == "400", "\(path) -> \(c.stdout)")
        }
        let missing = try Support.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f.url("/api/v1/nothing")])
        #expect(missing.stdout == "404")
    }

    @Test("segments and status as JSON; a client that disconnects mid-stream leaves the server serving")
    func segmentsStatusAndDisconnect() throws {
        let f = try Fixture()
        let seg = try Support.run(["curl", "-s", f.url("/api/v1/segments")])
        let list = try JSONSerialization.jsonObject(with: Data(seg.stdout.utf8)) as! [[String: Any]]
        #expect(list.count == (try SegmentCatalog(readingFrom: StoreLayout(root: f.store))).segments().count)
        let st = try Support.run(["curl", "-s", f.url("/api/v1/status")])
        let status = try JSONSerialization.jsonObject(with: Data(st.stdout.utf8)) as! [String: Any]
        #expect(((status["storage"] as? [String: Any])?["packetsStored"] as? Int ?? 0) > 0)
        // Read 100 bytes of a large answer and hang up, several times; then a full query still works.
        for _ in 0..<5 {
            _ = try Support.run(["sh", "-c", "curl -s '\(f.url("/api/v1/packets?link_type=1"))' | head -c 100 > /dev/null"])
        }
        let ok = try Support.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f.url("/api/v1/packets?link_type=1&q=tcp")])
        #expect(ok.stdout == "200")
        #expect(f.server.isRunning)
    }
}
