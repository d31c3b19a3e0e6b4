/// One metric, defined once: its Prometheus name, type and help text. The catalogs of the agent
/// (`AgentMetrics`) and the server (`ServerMetrics`) list them; `docs/metrics.md` documents each, the
/// alert rules and the dashboard use only these names (a test checks all three against a scrape).
public struct MetricDefinition: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case counter, gauge, histogram
    }

    public let name: String
    public let kind: Kind
    public let help: String

    public init(_ name: String, _ kind: Kind, _ help: String) {
        self.name = name
        self.kind = kind
        self.help = help
    }
}
