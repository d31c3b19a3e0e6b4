import Foundation
import Testing
import VigieTestSupport

/// The requests that used to kill the agent with one unauthenticated GET (arithmetic traps in the
/// time parsers, unbounded recursion in the query parser). Each must answer 400 with a problem that
/// says why, and the agent must still be serving afterwards.
@Suite("Agent API: hostile input", .serialized, .enabled(if: Support.hasTool("curl"), "needs curl"))
struct APIHostileInputTests {
    final class Fixture {
        let process: AgentServeProcess
        var dir: String { process.dir }
        var server: Process { process.server }

        init() throws {
            process = try AgentServeProcess(tag: "hostile", probe: "/api/v1/segments") { store, dir in
                try Support.generatedStore(store, in: dir)
                return []
            }
        }

        func url(_ path: String) -> String { process.url(path) }

        /// Status and body of a GET whose query values are given unencoded (curl encodes them).
        func get(_ path: String, _ params: [(String, String)] = []) throws -> (Int, String) {
            var argv = ["curl", "-s", "-G", "-w", "\n%{http_code}", "--max-time", "20"]
            for (k, v) in params { argv += ["--data-urlencode", "\(k)=\(v)"] }
            let r = try Support.run(argv + [url(path)])
            let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }
    }

    @Test("overflowing times and deep nesting answer 400 and the agent keeps serving")
    func crashersAnswer400() throws {
        let f = try Fixture()
        let cases: [(String, [(String, String)], String)] = [
            ("/api/v1/segments", [("from", "1e11")], "not a time"),
            ("/api/v1/segments", [("from", "99999999999")], "out of range"),
            ("/api/v1/packets", [("q", "after 2263-01-01")], "out of range"),
            ("/api/v1/packets", [("q", "before 4000000w ago")], "out of range"),
            ("/api/v1/segments", [("from", "99999999999d ago")], "out of range"),
            ("/api/v1/segments", [("to", "0001-01-01")], "out of range"),
            ("/api/v1/packets", [("from", "inf ago")], "not a time"),
            ("/api/v1/packets", [("q", String(repeating: "(", count: 20_000))], "nested"),
            ("/api/v1/packets", [("q", String(repeating: "!", count: 20_000) + "tcp")], "nested"),
        ]
        for (path, params, reason) in cases {
            let (status, body) = try f.get(path, params)
            #expect(status == 400, "\(path) \(params.map { $0.1.prefix(40) }): \(status)")
            #expect(body.contains(reason), "\(path): \(body.prefix(300))")
            #expect(f.server.isRunning, "the agent died on \(path) \(params.map { $0.1.prefix(40) })")
        }
        // The query-language error points at the offending token.
        let (_, body) = try f.get("/api/v1/packets", [("q", "tcp and after 2263-01-01")])
        let problem = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(problem?["position"] as? Int == 14)
        // And real requests still work.
        let ok = try Support.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f.url("/api/v1/packets?q=tcp&limit=5")])
        #expect(ok.stdout == "200")
        #expect(try f.get("/api/v1/segments").0 == 200)
    }

    @Test("query values are percent-decoded once: an RFC 3339 offset's '+' survives")
    func plusSurvivesDecoding() throws {
        let f = try Fixture()
        // curl encodes '+' as %2B; decoding twice turned it into a space.
        let (status, body) = try f.get("/api/v1/segments", [("from", "2026-01-01T01:00:00+01:00"), ("to", "2026-01-02T00:00:00Z")])
        #expect(status == 200, "\(body)")
        let segments = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [Any]
        #expect(segments?.isEmpty == false)
        // A literal '+' in a form-encoded value is a space, as in HTML forms.
        let spaced = try Support.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f.url("/api/v1/packets?q=tcp+port+80&limit=1")])
        #expect(spaced.stdout == "200")
    }
}
