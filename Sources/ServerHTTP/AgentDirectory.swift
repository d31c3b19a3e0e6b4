import Correlation

/// Where search (and drill-down) find agents: which agents exist, their query API, and groups.
///
/// The seam for the agent registry: whatever implements this decides *which* agents a search
/// names; the drill-down policy (``AgentFanOut/targets(_:directory:api:correlator:)``: declared
/// agents, token holders, `--drilldown-allow`, address pinning) still decides whether the server may
/// call each of them. Implementations are read once per request, from the request's task: no
/// blocking I/O (no DNS, no database round trip) in these three calls.
public protocol AgentDirectory: Sendable {
    /// The query API URL text (`http(s)://HOST:PORT[/base]`) of `agent`, nil when the directory
    /// does not know the agent or it has none (search answers 404 naming it).
    func queryAPI(of agent: String) -> String?
    /// The agent ids of group `group`, nil for a group the directory does not know (404 "unknown group").
    func members(ofGroup group: String) -> [String]?
    /// Every agent a search without `agents=`/`group=` asks: those with a query API, any order.
    func allAgents() -> [String]
}

/// Today's directory: the query APIs agents announce in `agent_health.query_api`
/// (``DrillDown/queryAPIs(_:)``) and the `--drilldown-agent AGENT=URL` declarations; no groups.
struct AnnouncedAgentDirectory: AgentDirectory {
    let announced: [String: String]

    init(correlator: Correlator, config: DrillDownConfig) {
        var apis = DrillDown.queryAPIs(correlator)
        for case let (agent, url?) in config.declaredAgents { apis[agent] = url }
        announced = apis
    }

    func queryAPI(of agent: String) -> String? { announced[agent] }
    func members(ofGroup group: String) -> [String]? { nil }
    func allAgents() -> [String] { announced.keys.sorted() }
}

/// The fleet registry (docs/fleet.md) over the announced query APIs: the one agent registry of
/// search, drill-down and registration. An agent's registered query API wins over what its records
/// announce; groups are the registry's.
struct FleetAgentDirectory: AgentDirectory {
    let fleet: FleetRegistry
    let announced: AnnouncedAgentDirectory
    /// Registered query APIs, read once per request.
    let registered: [String: String]

    init(fleet: FleetRegistry, correlator: Correlator, config: DrillDownConfig) {
        self.fleet = fleet
        announced = AnnouncedAgentDirectory(correlator: correlator, config: config)
        registered = fleet.queryAPIs().mapValues(\.url)
    }

    func queryAPI(of agent: String) -> String? { registered[agent] ?? announced.queryAPI(of: agent) }
    func members(ofGroup group: String) -> [String]? { fleet.members(ofGroup: group) }
    func allAgents() -> [String] { Set(registered.keys).union(announced.allAgents()).sorted() }
}

extension SearchConfig {
    /// The directory of a server with a fleet registry.
    public mutating func use(fleet: FleetRegistry) {
        directory = { FleetAgentDirectory(fleet: fleet, correlator: $0, config: $1) }
    }
}
