import Correlation
import Foundation
import Hummingbird

extension ServerAPI {
    /// Observed dependencies: listing, confirmation, promotion into the model.
    enum DependencyRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/dependencies") { request, _, api -> Response in
                let wanted = parameter(request, "status")
                if let wanted, DependencyStatus(rawValue: wanted) == nil {
                    return Problem.badRequest("'status' must be new, confirmed, stale or gone, not '\(wanted)'")
                }
                return json(api.correlator.dependencies().filter { wanted == nil || $0.status.rawValue == wanted }.map(DependencyEntry.init))
            },
            APIRoute(.post, "api/v1/dependencies/{id}/confirm") { _, context, api -> Response in
                guard let id = context.parameters.get("id", as: Int64.self) else { return Problem.badRequest("dependency ids are integers") }
                do { return json(DependencyEntry(try await api.correlator.edit { try $0.confirmDependency(id) }, api.correlator)) } catch { return Problem.inventory(error) }
            },
            APIRoute(.post, "api/v1/dependencies/{id}/promote") { request, context, api -> Response in
                var request = request
                guard let id = context.parameters.get("id", as: Int64.self) else { return Problem.badRequest("dependency ids are integers") }
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                guard let bytes = try await body(&request, limit: api.config.maxBodyBytes) else { return tooLarge(api.config.maxBodyBytes) }
                guard let q = try? decode(PromoteRequest.self, bytes) else {
                    return Problem.badRequest("body: {\"parent\": NODE, \"map\": \"identity\", \"weight\": 1, \"group\": null}")
                }
                guard let map = MapFunction(text: q.map ?? "identity") else { return Problem.make(422, "'map': '\(q.map ?? "")' is not a map function").response() }
                do {
                    let d = try await api.correlator.edit { try $0.promoteDependency(id, parent: q.parent, map: map, weight: q.weight ?? 1, group: q.group) }
                    return json(DependencyEntry(d, api.correlator))
                } catch { return Problem.inventory(error) }
            },
        ]
    }
}

struct PromoteRequest: Decodable { var parent: String; var map: String?; var weight: Double?; var group: String? }

struct DependencyEntry: Encodable {
    var id: Int64, client: String, service: String, app: String?, status: String, firstSeen: String, lastSeen: String
    var attempts: Int64, transactions: Int64, failures: Int64, agents: [String], confirmed: Bool, promoted: Bool
    init(_ v: Correlator.DependencyView) {
        let d = v.dependency
        id = d.id; client = d.client; service = d.service; app = d.app; status = v.status.rawValue
        firstSeen = Timestamp.format(d.firstSeen); lastSeen = Timestamp.format(d.lastSeen)
        attempts = d.attempts; transactions = d.transactions; failures = d.failures; agents = d.agents
        confirmed = d.confirmed; promoted = d.promoted
    }
    init(_ d: ObservedDependency, _ c: Correlator) {
        let found = c.dependencies().first(where: { $0.dependency.id == d.id })
        self.init(found ?? Correlator.DependencyView(dependency: d, status: d.confirmed ? DependencyStatus.confirmed : DependencyStatus.new))
    }
}
