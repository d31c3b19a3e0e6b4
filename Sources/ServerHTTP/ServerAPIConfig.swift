import Correlation
import HTTPListener

/// Settings of the HTTP API.
public struct ServerAPIConfig: Sendable {
    /// Bearer token → agent id, from `--token AGENT=TOKEN` (visible in `ps`: prefer the token file).
    /// With no agent token at all, ingest is not authenticated (development, loopback only).
    public var tokens: [String: String] = [:]
    /// Tokens of `--token-file` (`agent`, `read`, `operator`), re-read on SIGHUP.
    public var tokenStore = TokenStore(entries: [])
    /// The listener is reachable from other machines: every route needs a token, even when none of
    /// its kind is configured (then nobody may call it).
    public var closedByDefault = false
    /// Operator and read tokens of every other route (``OperatorAccess``). Default: all open.
    public var access = OperatorAccess()
    /// The server's metrics (`/metrics`); the executable adds its exporters' figures to them.
    public var metrics = ServerMetrics()
    /// What else `/readyz` checks (the executable's services: the Kafka consumer group); each
    /// returns why the server is not ready, or nil. Called off the async pool.
    public var readinessChecks: [@Sendable () -> String?] = []
    /// Largest accepted request body, as received and after gzip decompression.
    public var maxBodyBytes = 16 * 1024 * 1024
    public var maxDecompressedBytes = 64 * 1024 * 1024
    /// Longest ingested record line in bytes: a longer line is a malformed line (400, not applied).
    public var maxRecordBytes = RecordParser.defaultMaxLineBytes
    /// Per-agent limit of authenticated ingest (429 + Retry-After above it); nil: no limit.
    public var rateLimiter: IngestRateLimiter?
    /// Which agents the server may ask for packets, where, and with what credential (``DrillDownConfig``).
    /// Default: drill-down disabled.
    public var drillDown = DrillDownConfig()
    /// `GET /api/v1/search`: fan-out bounds and the agent directory (``SearchConfig``).
    public var search = SearchConfig()
    /// Notification rules (`--notifications FILE`): the rules API edits them. nil: notifications off.
    public var notifications: NotificationRuleBook?
    /// The agent registry and central configuration (docs/fleet.md). nil: the fleet API answers 404.
    public var fleet: FleetRegistry?
    public init(tokens: [String: String] = [:]) { self.tokens = tokens }

    /// Ingest needs an agent token.
    var agentTokensRequired: Bool { closedByDefault || !tokens.isEmpty || tokenStore.count(.agent) > 0 }

    /// Agents that hold a token (the flags' and the file's).
    var tokenAgents: Set<String> { Set(tokens.values).union(tokenStore.names(.agent)) }

    /// The agent a bearer token belongs to, compared in constant time over every token.
    func agent(forToken candidate: String) -> String? {
        var found: String?
        if let e = tokenStore.identify(candidate), e.role == .agent { found = e.name }
        let c = Array(candidate.utf8)
        for (token, agent) in tokens where TokenStore.constantTimeEqual(Array(token.utf8), c) && found == nil { found = agent }
        return found
    }
}
