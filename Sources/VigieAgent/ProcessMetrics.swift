import AgentHTTP
import Metrics

/// The agent process's metrics. Created once, on first use by a command that serves them, and only
/// here is swift-metrics' global system bootstrapped (with the same factory): libraries below use
/// the factory they are given, and tests that run agent and server code in one process never
/// bootstrap anything.
enum ProcessMetrics {
    static let agent: AgentMetrics = {
        let metrics = AgentMetrics()
        MetricsSystem.bootstrap(metrics.exposition.factory)
        return metrics
    }()
}
