/// `fleet:` in the agent configuration (docs/fleet.md): the server this agent registers with and
/// takes its central configuration from. Local only: the server can never change where the agent
/// listens to it, nor with what credential.
public struct FleetSettings: Sendable, Hashable {
    /// The server's base URL (`https://server:8080`); nil: a standalone agent (its file only).
    public var server: String?
    /// The agent token (the one ingest uses): read from this file, re-read after a 401.
    public var tokenFile: String?
    /// CA bundle to verify the server's certificate.
    public var caFile: String?
    /// The group (site) this agent announces; an operator's assignment on the server wins.
    public var group: String?
    public var tags: [String] = []
    /// Longest wait of one configuration poll (the server answers as soon as a version is newer).
    /// Default 30 s.
    public var pollSeconds: Double = 30

    public init() {}

    public var enabled: Bool { server != nil }
}
