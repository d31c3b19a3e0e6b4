import Foundation
import Testing
import VigieTestSupport

/// `GET /api/v1/nodes/{id}/series` and `/api/v1/dependencies/series` on the real server: points
/// from ingested edge windows, the scale a step picks, and bounded answers to absurd requests.
@Suite("Metric history API", .serialized, .enabled(if: HTTPFixture.hasTool("curl") && HTTPFixture.hasTool("gzip"), "needs curl and gzip"))
struct SeriesAPITests {
    /// `Lines.edge` windows: 2023-11-14T22:14:00Z + 60 s, 30 attempts, 5 refused, 5 unanswered.
    static let from = "2023-11-14T22:00:00Z", to = "2023-11-14T23:00:00Z"

    @Test("an endpoint, its service, its application and the edge answer the windows' sums; ids encoded or not")
    func points() throws {
        let f = try HTTPFixture()
        #expect(try f.post([Lines.edge(seq: 1), Lines.edge(seq: 2, client: "10.0.1.2")]).status == 200)
        for path in ["/api/v1/nodes/10.0.0.5:443/tcp/series", "/api/v1/nodes/10.0.0.5:443%2Ftcp/series", "/api/v1/nodes/web/series",
                     "/api/v1/nodes/shop/series"] {
            let r = try f.get(path + "?from=\(Self.from)&to=\(Self.to)&step=1m&metrics=attempts,refused,error_rate,rtt_p50_ms")
            #expect(r.status == 200, "\(path): \(r.body)")
            let body = try f.jsonObject(r.body)
            #expect(body["scale"] as? String == "1m" && body["step_seconds"] as? Int == 60 && body["percentiles"] as? String == "histogram")
            let points = try #require(body["points"] as? [[String: Any]])
            #expect(points.count == 1, "\(path): \(points)")
            #expect(points.first?["t"] as? String == "2023-11-14T22:14:00.000Z")
            #expect(points.first?["attempts"] as? Int == 60 && points.first?["refused"] as? Int == 10)
            // (5 refused + 5 unanswered) × 2 over (20 established + 5 + 5 + 20 transactions) × 2.
            #expect(abs((points.first?["error_rate"] as? Double ?? -1) - 0.2) < 1e-9)
            // Every RTT sample is 1 ms: the estimate is in the 1 ms bucket [0.896, 1.024).
            #expect((0.89...1.03).contains(points.first?["rtt_p50_ms"] as? Double ?? -1))
            #expect(points.first?["established"] == nil, "only the asked metrics")
        }
        let edge = try f.get("/api/v1/dependencies/series?client=10.0.1.2&service=10.0.0.5:443/tcp&from=\(Self.from)&to=\(Self.to)&step=15m")
        #expect(edge.status == 200, "\(edge.body)")
        let points = try #require(try f.jsonObject(edge.body)["points"] as? [[String: Any]])
        #expect(points.count == 1 && points.first?["attempts"] as? Int == 30 && points.first?["t"] as? String == "2023-11-14T22:00:00.000Z")
        // The 10 s scale holds the window at its start; the state timeline of the node comes along.
        let raw = try f.jsonObject(try f.get("/api/v1/nodes/10.0.0.5:443/tcp/series?from=\(Self.from)&to=\(Self.to)&step=10s").body)
        #expect((raw["points"] as? [[String: Any]])?.map { $0["t"] as? String } == ["2023-11-14T22:14:00.000Z"])
        #expect(raw["states"] is [Any])
    }

    @Test("step=auto picks the finest scale with at most 1,000 points", arguments: [
        (3600, "10s"), (6 * 3600, "1m"), (7 * 86400, "15m"), (90 * 86400, "1h"), (400 * 86400, "1h"),
    ])
    func autoStep(span: Int, scale: String) throws {
        let f = try HTTPFixture()
        let r = try f.get("/api/v1/nodes/shop/series?from=\(1_700_000_000 - span)&to=1700000000")
        #expect(r.status == 200, "\(r.body)")
        #expect(try f.jsonObject(r.body)["scale"] as? String == scale)
    }

    @Test("absurd or malformed requests: a clear 4xx, never an unbounded query", arguments: [
        ("/api/v1/nodes/nothing/series", 404, "no node 'nothing'"),
        ("/api/v1/nodes/shop/series?metrics=attempts,latency", 400, "unknown metric 'latency'"),
        ("/api/v1/nodes/shop/series?step=5m", 400, "'step' must be auto, 10s, 1m, 15m, 1h"),
        ("/api/v1/nodes/shop/series?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", 400, "'from' must be before 'to'"),
        ("/api/v1/nodes/shop/series?from=yesterday", 400, "'from' must be an RFC 3339 time"),
        ("/api/v1/nodes/shop/series?from=-5", 400, "'from' must be an RFC 3339 time"),
        ("/api/v1/nodes/shop/series?from=1e300", 400, "'from' must be an RFC 3339 time"),
        ("/api/v1/nodes/shop/series?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&step=10s", 400, "use step=1h or a shorter range"),
        ("/api/v1/nodes/shop/series?from=2016-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&step=10s", 400, "per request: use a shorter range"),
        ("/api/v1/nodes/shop/series?from=0&to=253402300000", 400, "at most 11000 hours"),
        ("/api/v1/dependencies/series?client=10.0.1.1", 400, "'client' and 'service' are required"),
    ])
    func refused(path: String, status: Int, message: String) throws {
        let f = try HTTPFixture()
        let r = try f.get(path)
        #expect(r.status == status, "\(path): \(r.body)")
        #expect(r.body.contains(message), "\(path): \(r.body)")
    }
}
