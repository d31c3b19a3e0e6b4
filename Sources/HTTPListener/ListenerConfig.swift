/// Where an HTTP listener binds, with which TLS files, and what it holds back. The agent's query
/// API and the server's API both take one (`--listen`, `--tls-*`, `--max-connections`, ...).
public struct ListenerConfig: Sendable {
    public var host: String
    public var port: Int
    /// nil: plain HTTP (refused on a non-loopback address unless ``insecure``).
    public var tls: TLSFiles?
    public var limits = ListenerLimits()
    /// `--insecure-listen`: the operator accepts a non-loopback listener without TLS or tokens.
    public var insecure = false

    public init(host: String, port: Int, tls: TLSFiles? = nil, limits: ListenerLimits = ListenerLimits(), insecure: Bool = false) {
        self.host = host
        self.port = port
        self.tls = tls
        self.limits = limits
        self.insecure = insecure
    }

    /// True for 127.0.0.0/8, ::1 and `localhost`: only this machine can connect.
    public var isLoopback: Bool {
        let h = host.lowercased()
        return h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" || h.hasPrefix("127.")
    }

    /// Secure by default: a listener other machines can reach must have TLS and at least one token
    /// (or, for `clientCertificates`, a client CA), unless ``insecure`` was asked for.
    /// - Parameter credentials: the listener has tokens or verifies client certificates.
    public func checkExposure(credentials: Bool, program: String) throws(ListenerError) {
        guard !isLoopback, !insecure else { return }
        var missing: [String] = []
        if tls == nil { missing.append("TLS (--tls-cert and --tls-key)") }
        if !credentials { missing.append("a token file (--token-file) or client certificates (--tls-client-ca)") }
        guard missing.isEmpty else {
            throw ListenerError(.insecure, "\(program) refuses to listen on \(host):\(port), which other machines can reach, without "
                                + missing.joined(separator: " and ") + "; give them, listen on 127.0.0.1, or pass --insecure-listen")
        }
    }
}

/// PEM files of a TLS listener.
public struct TLSFiles: Sendable {
    /// The certificate chain, leaf first.
    public var certificateChain: String
    public var privateKey: String
    /// CA certificates that client certificates are verified against; nil: none asked for.
    public var clientCA: String?
    /// mTLS: refuse a handshake without a valid client certificate (else one is verified when given).
    public var requireClientCertificate = false

    public init(certificateChain: String, privateKey: String, clientCA: String? = nil, requireClientCertificate: Bool = false) {
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.clientCA = clientCA
        self.requireClientCertificate = requireClientCertificate
    }
}

/// What one listener allows, so that idle or slow clients cannot take every descriptor.
public struct ListenerLimits: Sendable {
    /// Connections held at once. At the cap a new connection evicts the oldest one that has not
    /// sent a request head (idle keep-alive or slowloris); when every connection has a request in
    /// flight the new one is answered 503. Well below this machine's 20,000-descriptor limit, so
    /// that capture, storage and the database keep descriptors in reserve.
    public var maxConnections = 4_096
    /// Seconds from accepting a connection (TLS handshake included) to a complete request head.
    public var headerTimeout: Double = 10
    /// Seconds a keep-alive connection may wait for its next request.
    public var idleTimeout: Double = 60

    public init(maxConnections: Int = 4_096, headerTimeout: Double = 10, idleTimeout: Double = 60) {
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
    }
}

/// A listener that cannot be set up, with what to change.
public struct ListenerError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case insecure
        case tls
        case tokens
        case limits
    }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

/// Parses `HOST:PORT` (IPv6 as `[::1]:PORT`); an empty host is every address.
public func parseListenAddress(_ s: String) -> (host: String, port: Int)? {
    guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else { return nil }
    var host = String(s[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "0.0.0.0" : host, port)
}
