/// The server's answer to an agent asking for its configuration (`GET /api/v1/fleet/desired`): the
/// effective central document (its group's merged with its own) and the version it carries.
public struct DesiredConfig: Codable, Sendable, Hashable {
    public var agent: String
    /// Grows with every change that reaches this agent (a document of its group or its own, or its
    /// group assignment); 0 = no central configuration.
    public var version: Int64
    /// The effective YAML document (central keys only, docs/fleet.md); empty for none.
    public var yaml: String
    /// What it was merged from: `group:NAME@REVISION`, `agent:ID@REVISION`.
    public var sources: [String]

    public init(agent: String, version: Int64, yaml: String, sources: [String]) {
        self.agent = agent; self.version = version; self.yaml = yaml; self.sources = sources
    }
}

/// What an agent reports after it tried a version (`POST /api/v1/fleet/status`).
public struct ConfigStatusReport: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable { case applied, refused }
    public var agent: String
    public var version: Int64
    public var outcome: Outcome
    /// Why it was refused, naming the key (`capture.prefilter: ...`).
    public var error: String?
    /// The key the error names.
    public var key: String?
    /// Keys of the applied version that wait for a restart (e.g. `analytics.workers`).
    public var pendingRestart: [String]
    /// The version running after this report (the last good one when refused).
    public var running: Int64

    public init(agent: String, version: Int64, outcome: Outcome, error: String? = nil, key: String? = nil,
                pendingRestart: [String] = [], running: Int64) {
        self.agent = agent; self.version = version; self.outcome = outcome; self.error = error; self.key = key
        self.pendingRestart = pendingRestart; self.running = running
    }

    enum CodingKeys: String, CodingKey {
        case agent, version, outcome, error, key, running
        case pendingRestart = "pending_restart"
    }
}
