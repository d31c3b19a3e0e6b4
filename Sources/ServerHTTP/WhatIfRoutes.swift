import Correlation
import Foundation
import Hummingbird

extension ServerAPI {
    /// `POST /api/v1/whatif`: the weather with one node forced, the live state untouched.
    enum WhatIfRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.post, "api/v1/whatif") { request, _, api -> Response in
                var request = request
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                guard let bytes = try await body(&request, limit: api.config.maxBodyBytes) else { return tooLarge(api.config.maxBodyBytes) }
                guard let q = try? decode(WhatIfRequest.self, bytes) else { return Problem.badRequest("body: {\"node\": ID, \"state\": \"DOWN\"}") }
                guard let state = Health(name: q.state) else { return Problem.badRequest("'state': '\(q.state)' is not OK, WARNING, DEGRADED, DOWN or UNKNOWN") }
                do {
                    return json(try api.correlator.whatIf(node: q.node, state: state, kinds: q.all == true ? nil : [.service, .application]))
                } catch { return Problem.inventory(error) }
            },
        ]
    }
}

struct WhatIfRequest: Decodable { var node: String; var state: String; var all: Bool? }
