import Agent
import AgentHTTP
import ArgumentParser
import HTTPListener

/// The query API's listener options, shared by `serve` and `capture --listen` (docs/security.md).
/// Each overrides the YAML `api:` section.
struct APIListenOptions: ParsableArguments {
    @Option(name: .customLong("token-file"), help: "Token file, 'ROLE NAME TOKEN' per line (read, drilldown); re-read on SIGHUP (config: api.tokens_file).")
    var tokenFile: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve the API over TLS (config: api.tls_cert).")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert (config: api.tls_key).")
    var tlsKey: String?

    @Option(name: .customLong("tls-client-ca"), help: "PEM CA that client certificates are verified against; a verified one is the drill-down credential (config: api.tls_client_ca).")
    var tlsClientCA: String?

    @Flag(name: .customLong("tls-require-client-cert"), help: "Refuse TLS clients without a valid certificate (mTLS) (config: api.require_client_cert).")
    var requireClientCert = false

    @Flag(name: .customLong("insecure-listen"), help: "Allow a non-loopback listener without TLS and credentials (config: api.insecure_listen).")
    var insecureListen = false

    @Option(name: .customLong("max-connections"), help: "Most connections held at once, default 4096 (config: api.max_connections).")
    var maxConnections: Int?

    @Option(name: .customLong("header-timeout"), help: "Time a connection has to send a complete request head, default 10s (config: api.header_timeout).")
    var headerTimeout: String?

    @Option(name: .customLong("idle-timeout"), help: "Time a keep-alive connection may wait for its next request, default 60s (config: api.idle_timeout).")
    var idleTimeout: String?

    /// The listener and access rules for `host:port`, flags over `settings`.
    func resolve(host: String, port: Int, settings: APISettings) throws -> (ListenerConfig, AgentAccess) {
        var s = settings
        if let tokenFile { s.tokensFile = tokenFile }
        if let tlsCert { s.tlsCertificate = tlsCert }
        if let tlsKey { s.tlsKey = tlsKey }
        if let tlsClientCA { s.tlsClientCA = tlsClientCA }
        if requireClientCert { s.requireClientCertificate = true }
        if insecureListen { s.insecureListen = true }
        if let maxConnections {
            guard (1...16_384).contains(maxConnections) else { throw ConfigError(option: "--max-connections", "must be 1...16384") }
            s.maxConnections = maxConnections
        }
        if let headerTimeout { s.headerTimeoutSeconds = try parsePositiveSeconds(headerTimeout, "--header-timeout") }
        if let idleTimeout { s.idleTimeoutSeconds = try parsePositiveSeconds(idleTimeout, "--idle-timeout") }
        var tls: TLSFiles?
        switch (s.tlsCertificate, s.tlsKey) {
        case (let cert?, let key?):
            tls = TLSFiles(certificateChain: cert, privateKey: key, clientCA: s.tlsClientCA, requireClientCertificate: s.requireClientCertificate)
        case (nil, nil):
            if s.tlsClientCA != nil || s.requireClientCertificate {
                throw ConfigError(option: "--tls-client-ca", "client certificates need TLS: give --tls-cert and --tls-key")
            }
        default:
            throw ConfigError(option: "--tls-cert", "--tls-cert and --tls-key go together")
        }
        let limits = ListenerLimits(maxConnections: s.maxConnections, headerTimeout: s.headerTimeoutSeconds, idleTimeout: s.idleTimeoutSeconds)
        let listener = ListenerConfig(host: host, port: port, tls: tls, limits: limits, insecure: s.insecureListen)
        let tokens: TokenStore
        do { tokens = try TokenStore(path: s.tokensFile) } catch { throw ConfigError(option: "--token-file", error.message) }
        for role in [TokenRole.operator, .agent] where tokens.count(role) > 0 {
            throw ConfigError(option: "--token-file", "the agent's API takes 'read' and 'drilldown' tokens only, not '\(role.rawValue)'")
        }
        return (listener, AgentAccess(tokens: tokens, clientCertificates: tls?.clientCA != nil))
    }
}

func parsePositiveSeconds(_ v: String, _ option: String) throws -> Double {
    let s = try parseSeconds(v, option)
    guard s > 0, s <= 86_400 else { throw ConfigError(option: option, "must be more than 0 and at most 1 day") }
    return s
}
