import Foundation
import Metrics
import ServerHTTP

/// The server process's metrics. Created once, and only here is swift-metrics' global system
/// bootstrapped (with the same factory): libraries use the factory they are given, and tests that
/// run server code in-process never bootstrap anything.
enum ProcessMetrics {
    static let server: ServerMetrics = {
        let metrics = ServerMetrics()
        MetricsSystem.bootstrap(metrics.exposition.factory)
        metrics.mirror.gauge("vigie_server_up", 1.0)
        metrics.mirror.gauge("vigie_server_start_time_seconds", Date().timeIntervalSince1970)
        return metrics
    }()
}
