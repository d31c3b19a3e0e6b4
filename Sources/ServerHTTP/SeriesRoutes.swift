import Correlation
import Foundation
import Hummingbird
import SystemIO

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
                return json(body)
            } catch {
                return Problem.make(503, "the database did not answer: \(error)").response(headers: [.retryAfter: "5"])
            }
        }
    }
}

/// The answer of a series request (Schemas/server-api.yaml, `Series`).
struct SeriesAnswer: Encodable {
    var node: String?
    var client: String?
    var service: String?
    var scale: String
    var stepSeconds: Int64
    var from: String
    var to: String
    var metrics: [String]
    /// Percentiles come from the merged latency histograms of the bucket ("histogram"), never from
    /// averaged percentiles.
    var percentiles = "histogram"
    var points: [Point]
    var states: [StateAt]

    struct StateAt: Encodable { var at: String; var state: String }

    /// One bucket: its start `t` and the asked metrics (a percentile without samples is absent).
    struct Point: Encodable {
        var t: String
        var values: [(String, Double)]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(t, forKey: Key("t"))
            for (name, value) in values { try c.encode(value, forKey: Key(name)) }
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    init(query: SeriesQuery, points: [MetricPoint], timeline: [(at: Double, state: Health)]) {
        scale = query.scale.name
        stepSeconds = query.scale.seconds
        from = Timestamp.format(query.from)
        to = Timestamp.format(query.to)
        metrics = query.metrics.map(\.rawValue)
        self.points = points.map { p in
            Point(t: Timestamp.format(Double(p.bucket)), values: query.metrics.compactMap { m in p.sums.value(m).map { (m.rawValue, $0) } })
        }
        states = timeline.map { StateAt(at: Timestamp.format($0.at), state: $0.state.rawValue) }
    }
}
