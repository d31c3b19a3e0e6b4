import ArgumentParser

/// What a listener's configuration file section says (the agent's YAML `api:`); the flags of
/// ``ListenerOptions`` override it.
public struct ListenerSettings: Sendable, Hashable {
    public var tokensFile: String?
    public var tlsCertificate: String?
    public var tlsKey: String?
    public var tlsClientCA: String?
    public var requireClientCertificate = false
    public var insecureListen = false
    public var maxConnections = 4_096
    public var headerTimeoutSeconds: Double = 10
    public var idleTimeoutSeconds: Double = 60

    public init() {}
}

/// The listener flags shared by `vigie-agent serve`/`capture --listen` and `vigie-server serve`
/// (docs/security.md).
public struct ListenerOptions: ParsableArguments {
    @Option(name: .customLong("token-file"), help: "Token file, 'ROLE NAME TOKEN' per line; re-read on SIGHUP (docs/security.md).")
    public var tokenFile: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve over TLS.")
    public var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    public var tlsKey: String?

    @Option(name: .customLong("tls-client-ca"), help: "PEM CA that client certificates are verified against.")
    public var tlsClientCA: String?

    @Flag(name: .customLong("tls-require-client-cert"), help: "Refuse TLS clients without a valid certificate (mTLS).")
    public var requireClientCert = false

    @Flag(name: .customLong("insecure-listen"), help: "Allow a non-loopback listener without TLS and credentials.")
    public var insecureListen = false

    @Option(name: .customLong("max-connections"), help: "Most connections held at once (default 4096); at the cap the oldest without a request head is closed.")
    public var maxConnections: Int?

    @Option(name: .customLong("header-timeout"), help: "Seconds a connection has to send a complete request head (default 10).")
    public var headerTimeout: Double?

    @Option(name: .customLong("idle-timeout"), help: "Seconds a keep-alive connection may wait for its next request (default 60).")
    public var idleTimeout: Double?

    public init() {}

    /// The listener on `host:port` and its token file, flags over `settings`.
    public func resolve(host: String, port: Int, settings: ListenerSettings = ListenerSettings()) throws(ListenerError) -> (ListenerConfig, TokenStore) {
        var s = settings
        if let tokenFile { s.tokensFile = tokenFile }
        if let tlsCert { s.tlsCertificate = tlsCert }
        if let tlsKey { s.tlsKey = tlsKey }
        if let tlsClientCA { s.tlsClientCA = tlsClientCA }
        if requireClientCert { s.requireClientCertificate = true }
        if insecureListen { s.insecureListen = true }
        if let maxConnections { s.maxConnections = maxConnections }
        if let headerTimeout { s.headerTimeoutSeconds = headerTimeout }
        if let idleTimeout { s.idleTimeoutSeconds = idleTimeout }
        guard (1...16_384).contains(s.maxConnections) else { throw ListenerError(.limits, "--max-connections: must be 1...16384") }
        for (name, v) in [("--header-timeout", s.headerTimeoutSeconds), ("--idle-timeout", s.idleTimeoutSeconds)] where !(v > 0 && v <= 86_400) {
            throw ListenerError(.limits, "\(name): must be more than 0 and at most 86400 seconds")
        }
        var tls: TLSFiles?
        switch (s.tlsCertificate, s.tlsKey) {
        case (let cert?, let key?):
            tls = TLSFiles(certificateChain: cert, privateKey: key, clientCA: s.tlsClientCA, requireClientCertificate: s.requireClientCertificate)
        case (nil, nil):
            if s.tlsClientCA != nil || s.requireClientCertificate {
                throw ListenerError(.tls, "--tls-client-ca: client certificates need TLS: give --tls-cert and --tls-key")
            }
        default:
            throw ListenerError(.tls, "--tls-cert and --tls-key go together")
        }
        let limits = ListenerLimits(maxConnections: s.maxConnections, headerTimeout: s.headerTimeoutSeconds, idleTimeout: s.idleTimeoutSeconds)
        let tokens: TokenStore
        do { tokens = try TokenStore(path: s.tokensFile) } catch { throw ListenerError(.tokens, "--token-file: \(error.message)") }
        return (ListenerConfig(host: host, port: port, tls: tls, limits: limits, insecure: s.insecureListen), tokens)
    }
}
