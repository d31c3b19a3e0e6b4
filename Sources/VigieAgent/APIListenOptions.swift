import Agent
import AgentHTTP
import HTTPListener
import Logging
import ServiceLifecycle

extension ListenerOptions {
    /// The agent API's listener and access rules for `host:port`: the flags over YAML `api:`.
    func agentAPI(host: String, port: Int, settings: ListenerSettings) throws -> (ListenerConfig, AgentAccess) {
        let (listener, tokens) = try resolve(host: host, port: port, settings: settings)
        // `operator` tokens reach the pin routes, and may list, plan and cancel recordings (docs/pins.md, docs/recordings.md).
        for role in [TokenRole.agent] where tokens.count(role) > 0 {
            throw ConfigError(option: "--token-file", "the agent's API takes 'read', 'drilldown' and 'operator' (pins, recordings) tokens only, not '\(role.rawValue)'")
        }
        return (listener, AgentAccess(tokens: tokens, clientCertificates: listener.tls?.clientCA != nil))
    }
}

/// The metrics-only listener's address: `PORT` or `:PORT` on loopback, or `HOST:PORT`.
func parseMetricsListen(_ s: String) throws -> (String, Int) {
    let trimmed = s.hasPrefix(":") ? String(s.dropFirst()) : s
    if let port = Int(trimmed) {
        guard (1...65_535).contains(port) else { throw ConfigError(option: "--metrics-listen", "'\(s)': the port must be 1...65535") }
        return ("127.0.0.1", port)
    }
    guard let (host, port) = parseListenAddress(s) else { throw ConfigError(option: "--metrics-listen", "'\(s)' is not PORT or HOST:PORT") }
    return (host, port)
}

extension ListenerOptions {
    /// The metrics-only listener (flag `--metrics-listen`, YAML `metrics_listen`), as a service.
    /// On loopback it is plain HTTP with no credential; on another address it takes the API's TLS
    /// files and token file (any token reads metrics), and refuses to start without one of them.
    func metricsService(address: String, settings: ListenerSettings, store: String, metrics: AgentMetrics, readiness: AgentReadiness,
                        logger: Logger) throws -> any Service {
        let (host, port) = try parseMetricsListen(address)
        var listener = ListenerConfig(host: host, port: port)
        var access = AgentAccess()
        if !listener.isLoopback { (listener, access) = try agentAPI(host: host, port: port, settings: settings) }
        let app = try AgentAPI.metricsApplication(store: store, listener: listener, access: access, metrics: metrics, readiness: readiness, logger: logger)
        return ListenerStartup(app, option: "--metrics-listen", address: "\(host):\(port)")
    }
}

/// Runs a listener's application and names the option that configured it when it cannot start
/// (a port already taken, an address not on this host).
struct ListenerStartup: Service {
    let app: any Service
    let option: String
    let address: String

    init(_ app: any Service, option: String, address: String) {
        self.app = app
        self.option = option
        self.address = address
    }

    func run() async throws {
        do {
            try await app.run()
        } catch {
            throw ConfigError(option: option, "cannot listen on \(address): \(error)")
        }
    }
}
