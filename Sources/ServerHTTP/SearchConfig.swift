import Correlation

/// How `GET /api/v1/search` fans a query out (docs/search.md). Which agents may be called, where
/// and with what credential is the drill-down's ``DrillDownConfig`` (search is off with drill-down).
public struct SearchConfig: Sendable {
    /// Agents asked at once by one search (`--search-concurrency`); more are asked in turns. The
    /// drill-down's `--drilldown-concurrency` still bounds all fetches together (503 above).
    public var concurrency = 8
    /// Whole transfer, per agent (`--search-timeout`): an agent that never answers is reported
    /// missing after this, and delays the answer no longer.
    public var timeoutSeconds: Double = 30
    /// Largest merged pcap (`--search-max-bytes`); the answer is cut at the last whole packet below
    /// it and says so (`Vigie-Search-Truncated`). Each agent's answer is still capped by `--drilldown-max-bytes`.
    public var maxBytes = 1 << 30
    /// The agents a search may name, built per request (``AgentDirectory``). Default: the query APIs
    /// the agents announce, no groups; the agent registry replaces it.
    public var directory: @Sendable (Correlator, DrillDownConfig) -> any AgentDirectory = { AnnouncedAgentDirectory(correlator: $0, config: $1) }

    public init() {}
}
