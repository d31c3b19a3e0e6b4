import Correlation
import Foundation
import Hummingbird

extension ServerAPI {
    /// What monitors the server itself and the wallboard: `/metrics` (Prometheus) and the HTML weather page `/`.
    enum MetricsRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "metrics") { _, _, api -> Response in
                text(MetricsText.render(api.correlator.metrics) + MetricsText.throttled(api.config.rateLimiter) + api.fetcher.audit.metricsText()
                     + (api.config.extraMetrics?() ?? ""),
                     contentType: "text/plain; version=0.0.4")
            },
            APIRoute(.get, "/") { _, _, api -> Response in
                text(WeatherPage.render(api.correlator.weather(kinds: nil)), contentType: "text/html; charset=utf-8")
            },
        ]
    }
}
