import Fleet

/// Where a central configuration document applies: every agent of a group, or one agent (which
/// overrides its group's keys).
public enum ConfigScope: Sendable, Hashable, CustomStringConvertible {
    case group(String)
    case agent(String)

    public var description: String {
        switch self {
        case .group(let g): "group:\(g)"
        case .agent(let a): "agent:\(a)"
        }
    }

    public init?(_ text: String) {
        if text.hasPrefix("group:") { self = .group(String(text.dropFirst(6))) }
        else if text.hasPrefix("agent:") { self = .agent(String(text.dropFirst(6))) }
        else { return nil }
    }
}

/// One version of a central configuration document. Revisions come from one counter across the
/// fleet, so an agent's effective version (the highest revision among what reaches it) only grows.
public struct ConfigDocument: Codable, Sendable, Hashable {
    public var revision: Int64
    /// `group:NAME` or `agent:ID`.
    public var scope: String
    /// The YAML text; nil: the document was deleted at this revision.
    public var yaml: String?
    public var author: String
    public var at: Double
    public var comment: String?
}

/// A group of agents (a site, a role): a name, a site, tags.
public struct AgentGroup: Codable, Sendable, Hashable {
    public var name: String
    public var site: String?
    public var tags: [String]
    public var description: String?

    public init(name: String, site: String? = nil, tags: [String] = [], description: String? = nil) {
        self.name = name; self.site = site; self.tags = tags; self.description = description
    }
}

/// What the server knows of one agent of the fleet.
public struct FleetAgent: Codable, Sendable, Hashable {
    public var agent: String
    public var registration: AgentRegistration?
    /// The registration came with the agent's own token (what the drill-down and search trust its
    /// query API from).
    public var authenticated: Bool
    public var registeredAt: Double?
    /// The group an operator assigned (wins over the registration's).
    public var assignedGroup: String?
    /// The revision of the last change of this agent's effective group.
    public var groupRevision: Int64
    public var effectiveGroup: String?
    public var status: ConfigStatusReport?
    public var statusAt: Double?

    public init(agent: String) {
        self.agent = agent; authenticated = false; groupRevision = 0
    }
}

/// One audited fleet change: who, what, the diff.
public struct FleetAuditEntry: Codable, Sendable, Hashable {
    public var at: Double
    public var who: String
    /// `config.put`, `config.delete`, `group.put`, `group.delete`, `agent.assign`, `agent.register`.
    public var action: String
    /// `group:NAME`, `agent:ID`.
    public var subject: String
    public var revision: Int64?
    public var diff: String?
}

/// A fleet request that cannot be done: an HTTP status and why.
public struct FleetError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public init(_ status: Int, _ message: String) { self.status = status; self.message = message }
    public var description: String { message }
}

/// Where the fleet's state is kept (SQLite or PostgreSQL, as the rest of the server's state).
public protocol FleetStorage: AnyObject, Sendable {
    func loadFleet() throws -> (agents: [FleetAgent], groups: [AgentGroup], documents: [ConfigDocument])
    func saveFleetAgent(_ agent: FleetAgent) throws
    func saveGroup(_ group: AgentGroup) throws
    func deleteGroup(_ name: String) throws
    func appendDocument(_ document: ConfigDocument) throws
    func appendAudit(_ entry: FleetAuditEntry) throws
    func audit(limit: Int) throws -> [FleetAuditEntry]
}
