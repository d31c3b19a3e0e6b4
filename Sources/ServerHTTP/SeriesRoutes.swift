import Correlation
import Foundation
import Hummingbird
import SystemIO
import TimeFormat

extension ServerAPI {
    /// The metric history (docs/history.md): `GET /api/v1/nodes/{id}/series` (dispatched from the
    /// nodes catch-all route, WeatherRoutes.swift) and `GET /api/v1/dependencies/series`.
    enum SeriesRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/dependencies/series") { request, _, api -> Response in
                guard let client = parameter(request, "client"), !client.isEmpty, let service = parameter(request, "service"), !service.isEmpty else {
                    return Problem.badRequest("'client' and 'service' are required (e.g. client=10.0.0.9&service=10.0.0.5:443/tcp)")
                }
                return await answer(request, api, key: .edge(client: client, service: service), timelineNode: nil) {
                    $0.client = client; $0.service = service
                }
            },
        ]

        /// `GET /api/v1/nodes/{id}/series`: an inventory node, or an endpoint id the agents report.
        static func node(_ request: Request, _ api: APIServices, id: String) async -> Response {
            guard api.correlator.node(id) != nil || ServiceID.isValid(id) else { return Problem.notFound("no node '\(id)'") }
            return await answer(request, api, key: .node(id), timelineNode: id) { $0.node = id }
        }

        private static func answer(_ request: Request, _ api: APIServices, key: SeriesKey, timelineNode: String?,
                                   label: (inout SeriesAnswer) -> Void) async -> Response {
            let query: SeriesQuery
            switch SeriesQuery.parse(parameter: { parameter(request, $0) }, now: Date().timeIntervalSince1970,
                                     retention: api.correlator.config.history.retention) {
            case .success(let q): query = q
            case .failure(let refused): return Problem.badRequest(refused.message)
            }
            let correlator = api.correlator
            do {
                // Database reads: off the async pool.
                let (points, timeline) = try await BlockingWork.run { () throws -> ([MetricPoint], [(at: Double, state: Health)]) in
                    let points = try correlator.series(key, scale: query.scale, from: query.bucketFrom, to: query.bucketTo)
                    let timeline = try timelineNode.map { try correlator.stateTimeline(node: $0, from: query.from, to: query.to) } ?? []
                    return (points, timeline)
                }
                var body = SeriesAnswer(query: query, points: points, timeline: timeline)
                label(&body)
                return text(body.json, contentType: "application/json")
            } catch {
                return Problem.make(503, "the database did not answer: \(error)").response(headers: [.retryAfter: "5"])
            }
        }
    }
}

/// The answer of a series request (Schemas/server-api.yaml, `Series`), written by hand: a week
/// at one minute is 10,080 points, and JSONEncoder with dynamic keys plus a date formatter per
/// point cost more than the database read (Benchmarks/history-bench.sh).
struct SeriesAnswer {
    var node: String?
    var client: String?
    var service: String?
    let query: SeriesQuery
    let points: [MetricPoint]
    let timeline: [(at: Double, state: Health)]

    init(query: SeriesQuery, points: [MetricPoint], timeline: [(at: Double, state: Health)]) {
        self.query = query; self.points = points; self.timeline = timeline
    }

    var json: String {
        var out = "{"
        for (key, value) in [("node", node), ("client", client), ("service", service)] {
            if let value { out += "\"\(key)\":" + JSONText.quoted(value) + "," }
        }
        out += "\"scale\":\"\(query.scale.name)\",\"step_seconds\":\(query.scale.seconds),"
        out += "\"from\":\"\(Timestamp.format(query.from))\",\"to\":\"\(Timestamp.format(query.to))\","
        out += "\"metrics\":[" + query.metrics.map { "\"\($0.rawValue)\"" }.joined(separator: ",") + "],"
        // Percentiles come from the bucket's merged latency histograms, never from averaged percentiles.
        out += "\"percentiles\":\"histogram\",\"points\":["
        for (k, p) in points.enumerated() {
            if k > 0 { out += "," }
            out += "{\"t\":\"" + Self.time(p.bucket) + "\""
            for m in query.metrics {
                if let n = p.sums.integer(m) {
                    out += ",\"\(m.rawValue)\":\(n)"
                } else if let v = p.sums.value(m), v.isFinite {
                    out += ",\"\(m.rawValue)\":\(v)"
                }
            }
            out += "}"
        }
        out += "],\"states\":["
        out += timeline.map { "{\"at\":\"\(Timestamp.format($0.at))\",\"state\":\"\($0.state.rawValue)\"}" }.joined(separator: ",")
        return out + "]}"
    }

    /// A bucket start as the API's other times are written (UTC, milliseconds), without a
    /// Foundation formatter per point.
    static func time(_ seconds: Int64) -> String {
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return Timestamp.format(Double(seconds)) }
        let text = RFC3339.string(nanos)  // ….000000000Z: keep three fraction digits
        return String(text.dropLast(7)) + "Z"
    }
}
