/// What an agent tells the server about itself when it registers (`POST /api/v1/fleet/register`,
/// docs/fleet.md): written by the agent's fleet client, read by the server's registry. Defined once
/// here so that both ends agree on every field.
public struct AgentRegistration: Codable, Sendable, Hashable {
    /// The agent's id (`agent_id` of its records); with tokens it must be the token's agent.
    public var agent: String
    /// `vigie-agent` version.
    public var version: String
    /// What this agent can do (`capture`, `index`, `analytics`, `query_api`, `pins`, `recordings`,
    /// `central_config`).
    public var capabilities: [String]
    /// Capture interfaces (or replayed files).
    public var interfaces: [String]
    /// Where the server reaches the query API (drill-down, search); nil when the agent serves none.
    public var queryAPI: String?
    public var hostname: String
    /// The group (site) the agent's local file names; the server's assignment wins.
    public var group: String?
    public var tags: [String]
    /// The central configuration version the agent runs (0: none).
    public var appliedVersion: Int64

    public init(agent: String, version: String, capabilities: [String], interfaces: [String], queryAPI: String?, hostname: String,
                group: String?, tags: [String], appliedVersion: Int64) {
        self.agent = agent; self.version = version; self.capabilities = capabilities; self.interfaces = interfaces
        self.queryAPI = queryAPI; self.hostname = hostname; self.group = group; self.tags = tags; self.appliedVersion = appliedVersion
    }

    enum CodingKeys: String, CodingKey {
        case agent, version, capabilities, interfaces, hostname, group, tags
        case queryAPI = "query_api", appliedVersion = "applied_version"
    }

    /// Bounds a registration must respect (it comes from the network): an error naming the field.
    public func problem() -> String? {
        func bad(_ s: String, _ max: Int) -> Bool { s.utf8.count > max || !s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } }
        if !FleetNames.valid(agent) { return "agent: \(FleetNames.rule)" }
        if bad(version, 64) { return "version: at most 64 printable ASCII characters" }
        if bad(hostname, 255) { return "hostname: at most 255 printable ASCII characters" }
        if let g = group, !FleetNames.valid(g) { return "group: \(FleetNames.rule)" }
        if let q = queryAPI, bad(q, 512) || !(q.hasPrefix("http://") || q.hasPrefix("https://")) {
            return "query_api: an http:// or https:// URL of at most 512 characters"
        }
        for (name, list) in [("capabilities", capabilities), ("interfaces", interfaces), ("tags", tags)] {
            if list.count > 64 || list.contains(where: { $0.isEmpty || bad($0, 128) }) {
                return "\(name): at most 64 items of 1 to 128 printable ASCII characters"
            }
        }
        if appliedVersion < 0 { return "applied_version: must not be negative" }
        return nil
    }
}

/// Names of groups and agents in fleet paths: what a URL segment carries without escaping.
public enum FleetNames {
    public static let rule = "1 to 64 characters among letters, digits, '.', '_' and '-'"

    public static func valid(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }
}
