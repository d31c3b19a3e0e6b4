import Foundation
import Testing
import VigieTestSupport

/// `GET /api/v1/search`'s refusals (problem JSON, no agent contacted) and its answer from a
/// stand-in agent (Tests/TestSupport/Scripts/drilldown_target.py): what can be checked without real agents.
@Suite("vigie-server search: requests", .serialized,
       .enabled(if: HTTPFixture.hasTool("curl") && HTTPFixture.hasTool("gzip") && HTTPFixture.hasTool("python3"), "needs curl, gzip and python3"))
struct SearchRequestTests {
    static func problem(_ f: HTTPFixture, _ path: String) throws -> (status: Int, detail: String, type: String) {
        let r = try f.curl([], path)
        let o = try f.jsonObject(r.body)
        #expect(o["status"] as? Int == r.status, "\(r.body)")
        let type = r.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-type:") }.map(String.init) ?? ""
        return (r.status, o["detail"] as? String ?? "", type)
    }

    @Test("bad requests are 400/404 problems and contact no agent")
    func refusals() throws {
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8"])
        let target = try DrillDownTarget(mode: "pcap", dir: f.dir)
        try f.announce("http://127.0.0.1:\(target.port)", seq: 1)
        let cases: [(String, Int, String)] = [
            ("/api/v1/search", 400, "q is required"),
            ("/api/v1/search?q=%20", 400, "q is required"),
            ("/api/v1/search?q=port%2099999", 400, "q: "),
            ("/api/v1/search?q=host%20and%20(", 400, "q: "),
            ("/api/v1/search?q=tcp&agents=edge-paris-01&group=g", 400, "not both"),
            ("/api/v1/search?q=tcp&agents=edge-paris-01,,x", 400, "comma-separated"),
            ("/api/v1/search?q=tcp&format=xml", 400, "'format'"),
            ("/api/v1/search?q=tcp&limit=0", 400, "'limit'"),
            ("/api/v1/search?q=tcp&link_type=-1", 400, "'link_type'"),
            ("/api/v1/search?q=tcp&from=%01", 400, "'from'"),
            ("/api/v1/search?q=tcp&agents=edge-paris-01,nobody", 404, "unknown agent 'nobody'"),
            ("/api/v1/search?q=tcp&group=web", 404, "unknown group 'web'"),
        ]
        for (path, status, detail) in cases {
            let p = try Self.problem(f, path)
            #expect(p.status == status, "\(path): \(p)")
            #expect(p.detail.contains(detail), "\(path): \(p.detail)")
            #expect(p.type.contains("application/problem+json"), "\(path): \(p.type)")
        }
        #expect(target.requests.isEmpty, "no agent asked: \(target.requests)")
        let loop = try f.curl(["-H", "Vigie-Drilldown: 1"], "/api/v1/search?q=tcp")
        #expect(loop.status == 508)
    }

    @Test("without --drilldown-allow search is off (403); an agent's request carries the query, the limit and the caller")
    func forwarding() throws {
        let off = try HTTPFixture()
        #expect(try Self.problem(off, "/api/v1/search?q=tcp").status == 403)

        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8"])
        let target = try DrillDownTarget(mode: "pcap", dir: f.dir)
        try f.announce("http://127.0.0.1:\(target.port)", seq: 1)
        let r = try f.curl([], "/api/v1/search?q=tls.sni%20example.com&limit=7&link_type=1&from=2026-01-01T00:00:00Z&format=counts")
        #expect(r.status == 200, "\(r.body)")
        let o = try f.jsonObject(r.body)
        let agents = try #require(o["agents"] as? [[String: Any]])
        #expect(agents.count == 1 && agents[0]["agent"] as? String == "edge-paris-01" && agents[0]["packets"] as? Int == 0)
        #expect(o["partial"] as? Bool == false)
        let request = try #require(target.requests.first)
        let path = request["path"] as? String ?? ""
        #expect(path.hasPrefix("/api/v1/packets?q=tls.sni%20example.com&limit=7&from=2026-01-01T00%3A00%3A00Z&link_type=1"), "\(path)")
        #expect((request["headers"] as? [String: String])?["vigie-on-behalf-of"] == "anonymous")
        #expect(r.headers.lowercased().contains("vigie-search-agents: edge-paris-01"), "\(r.headers)")
    }

    @Test("agents of different link types: 409 naming them")
    func linkTypes() throws {
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8", "--token", "edge-raw=tr"])
        let ether = try DrillDownTarget(mode: "pcap", dir: f.dir), raw = try DrillDownTarget(mode: "pcap-raw", dir: f.dir)
        try f.announce("http://127.0.0.1:\(ether.port)", seq: 1)
        let health = Lines.agentHealth(agent: "edge-raw", seq: 1)
            .replacingOccurrences(of: #"{"schema_version":1,"#, with: #"{"query_api":"http://127.0.0.1:\#(raw.port)","schema_version":1,"#)
        #expect(try f.post([health], token: "tr").status == 200)
        let p = try Self.problem(f, "/api/v1/search?q=tcp")
        #expect(p.status == 409, "\(p)")
        #expect(p.detail.contains("edge-paris-01 1") && p.detail.contains("edge-raw 101") && p.detail.contains("link_type"), "\(p.detail)")
    }

    @Test("an agent answering 200 with something that is not a pcap is missing (bad_answer), the others still answer")
    func notAPcap() throws {
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8", "--token", "edge-junk=tj"])
        let good = try DrillDownTarget(mode: "pcap", dir: f.dir), junk = try DrillDownTarget(mode: "big:100", dir: f.dir)
        try f.announce("http://127.0.0.1:\(good.port)", seq: 1)
        let health = Lines.agentHealth(agent: "edge-junk", seq: 1)
            .replacingOccurrences(of: #"{"schema_version":1,"#, with: #"{"query_api":"http://127.0.0.1:\#(junk.port)","schema_version":1,"#)
        #expect(try f.post([health], token: "tj").status == 200)
        let r = try f.curl([], "/api/v1/search?q=tcp")
        #expect(r.status == 200)
        let headers = r.headers.lowercased()
        #expect(headers.contains("vigie-search-partial: true") && headers.contains("vigie-search-agents: edge-paris-01\r\n"), "\(r.headers)")
        #expect(headers.contains("vigie-search-missing: edge-junk=the answer is not a pcap"), "\(r.headers)")
        let counts = try f.jsonObject(try f.curl([], "/api/v1/search?q=tcp&format=counts").body)
        let lines = try #require(counts["agents"] as? [[String: Any]])
        #expect(lines.map { $0["agent"] as? String } == ["edge-junk", "edge-paris-01"], "\(counts)")
        #expect(lines.map { $0["status"] as? String } == ["bad_answer", "ok"], "\(counts)")
        #expect(counts["missing"] as? [String] == ["edge-junk"] && counts["partial"] as? Bool == true)
    }

    @Test("a read, like drill-down: 401 without a token when read tokens exist; a read token searches, named to the agent")
    func role() throws {
        let f = try HTTPFixture(arguments: ["--drilldown-allow", "127.0.0.0/8", "--operator-token", "op-s3cret", "--read-token", "r3ad"])
        let target = try DrillDownTarget(mode: "pcap", dir: f.dir)
        try f.announce("http://127.0.0.1:\(target.port)", seq: 1)
        #expect(try f.curl([], "/api/v1/search?q=tcp").status == 401)
        #expect(try f.curl(["-H", "Authorization: Bearer t0k3n"], "/api/v1/search?q=tcp").status == 401, "an agent token opens nothing")
        #expect(target.requests.isEmpty)
        let r = try f.curl(["-H", "Authorization: Bearer r3ad"], "/api/v1/search?q=tcp")
        #expect(r.status == 200, "\(r.body)")
        #expect((target.requests.first?["headers"] as? [String: String])?["vigie-on-behalf-of"] == "read-token")
    }
}
