import Correlation
import Hummingbird

extension ServerAPI {
    /// `GET /api/v1/search`: one query asked of several agents (Search.swift). A read, like drill-down.
    enum SearchRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/search") { request, _, api -> Response in
                await Search.handle(request, correlator: api.correlator, config: api.config, fetcher: api.fetcher)
            },
        ]
    }
}
