import Correlation
import Foundation
import Hummingbird

extension ServerAPI {
    /// The weather and one node's detail.
    enum WeatherRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/weather") { request, _, api -> Response in
                let all: Bool
                switch flag(request, "all") { case .success(let v): all = v; case .failure(let refused): return refused.response }
                return text(WeatherJSON.encode(api.correlator.weather(kinds: all ? nil : [.service, .application])), contentType: "application/json")
            },
            APIRoute(.get, "api/v1/nodes/**") { request, context, api -> Response in
                let id = catchAllID(context)
                // Node ids hold '/': the series of a node is its path plus `/series`.
                if id.hasSuffix("/series"), id.count > 7 {
                    return await SeriesRoutes.node(request, api, id: String(id.dropLast(7)))
                }
                guard let detail = NodeDetail.make(api.correlator, id) else { return Problem.notFound("no node '\(id)'") }
                return json(detail)
            },
        ]
    }
}

/// `GET /api/v1/nodes/{id}`: the node, its status and causes, its neighbours, history and availability.
struct NodeDetail: Encodable {
    var node: Node
    var status: NodeStatus
    var flapping: Bool
    var children: [ImpactEdge]
    var parents: [String]
    var views: [ViewEntry]
    var history: [HistoryItem]
    /// Share of the last 24 h in each state.
    var availability24h: [String: Double]

    struct ViewEntry: Encodable { var agent: String; var state: String; var updated: String; var ts: String }
    struct HistoryItem: Encodable { var at: String; var state: String; var previous: String?; var causes: [String] }

    static func make(_ c: Correlator, _ id: String) -> NodeDetail? {
        guard let node = c.node(id), let status = c.status(id) else { return nil }
        let inv = c.inventory
        return NodeDetail(node: node, status: status, flapping: c.isFlapping(id),
                          children: inv.edges.filter { $0.parent == id }, parents: inv.edges.filter { $0.child == id }.map(\.parent),
                          views: c.agentViews(service: id).map { .init(agent: $0.agent, state: $0.state.rawValue, updated: Timestamp.format($0.updated), ts: Timestamp.format($0.ts)) },
                          history: c.history(node: id).map { .init(at: Timestamp.format($0.at), state: $0.state.rawValue, previous: $0.previous?.rawValue, causes: $0.causes) },
                          availability24h: Dictionary(uniqueKeysWithValues: c.availability(node: id, period: 86400).map { ($0.key.rawValue, $0.value) }))
    }
}
