import Correlation
import Foundation
import Hummingbird

extension ServerAPI {
    /// `GET /api/v1/drilldown/packets`: packets from the agents' query APIs (DrillDown.swift).
    enum DrillDownRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/drilldown/packets") { request, _, api -> Response in
                await DrillDown.packets(request, correlator: api.correlator, config: api.config, fetcher: api.fetcher, logger: api.logger)
            },
        ]
    }
}
