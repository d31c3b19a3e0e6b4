import Correlation
import Foundation
import Hummingbird
import Observability

extension ServerAPI {
    /// What monitors the server itself and the wallboard: `/metrics` (Prometheus) and the script-free HTML weather page `/weather.html` (the console is `/`).
    enum MetricsRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "metrics") { _, _, api -> Response in
                var headers = HTTPFields()
                headers[.contentType] = MetricsExposition.contentType
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: api.config.metrics.exposition.render())))
            },
            APIRoute(.get, "weather.html") { _, _, api -> Response in
                text(WeatherPage.render(api.correlator.weather(kinds: nil)), contentType: "text/html; charset=utf-8")
            },
        ]
    }
}
