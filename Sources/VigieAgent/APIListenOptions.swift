import Agent
import AgentHTTP
import HTTPListener

extension ListenerOptions {
    /// The agent API's listener and access rules for `host:port`: the flags over YAML `api:`.
    func agentAPI(host: String, port: Int, settings: ListenerSettings) throws -> (ListenerConfig, AgentAccess) {
        let (listener, tokens) = try resolve(host: host, port: port, settings: settings)
        for role in [TokenRole.operator, .agent] where tokens.count(role) > 0 {
            throw ConfigError(option: "--token-file", "the agent's API takes 'read' and 'drilldown' tokens only, not '\(role.rawValue)'")
        }
        return (listener, AgentAccess(tokens: tokens, clientCertificates: listener.tls?.clientCA != nil))
    }
}
