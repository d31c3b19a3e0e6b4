import Correlation
import Hummingbird
import Logging

/// One route of the API: its path (Hummingbird syntax: `{id}` one segment, `**` the rest), its
/// method, and its handler. Routes are plain values so that the router and the 405 table
/// (``RouteMethods``) are built from the same list: a route cannot exist without its `Allow` entry.
struct APIRoute: Sendable {
    typealias Handler = @Sendable (Request, BasicRequestContext, APIServices) async throws -> Response
    var method: HTTPRequest.Method
    var path: String
    var handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        self.method = method; self.path = path; self.handler = handler
    }
}

/// What the handlers work with, built once per router.
struct APIServices: Sendable {
    var correlator: Correlator
    var config: ServerAPIConfig
    var logger: Logger
    /// Shared by drill-down and `/metrics` (its audit counters).
    var fetcher: DrillDown.Fetcher
}

extension ServerAPI {
    /// Every route, per resource, in registration order.
    static let routes: [APIRoute] = IngestRoutes.routes + DrillDownRoutes.routes + SearchRoutes.routes + WeatherRoutes.routes + AgentFlowRoutes.routes
        + InventoryRoutes.routes + WhatIfRoutes.routes + DependencyRoutes.routes + MaintenanceRoutes.routes + AckRoutes.routes
        + EventRoutes.routes + NotificationRoutes.routes + MetricsRoutes.routes + HealthRoutes.routes + SeriesRoutes.routes + SessionRoutes.routes
        + FleetRoutes.routes + AgentPinRoutes.routes + ConsoleRoutes.routes
}
