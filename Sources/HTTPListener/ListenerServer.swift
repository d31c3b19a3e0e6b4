import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// Builds the Hummingbird server of a ``ListenerConfig``: HTTP/1 with the connection guard and the
/// idle timeout, wrapped in TLS when configured.
public enum ListenerServer {
    /// The connection registry of a listener: its cap within the descriptor budget, known to
    /// ``ListenerRequestContext`` (which finds client certificates through it).
    public static func registry(for config: ListenerConfig) -> ConnectionRegistry {
        let r = ConnectionRegistry(maxConnections: DescriptorBudget.connections(wanted: config.limits.maxConnections))
        ListenerRegistries.shared.add(r)
        return r
    }

    public static func builder(_ config: ListenerConfig, registry: ConnectionRegistry) throws(ListenerError) -> HTTPServerBuilder {
        let limits = config.limits
        guard limits.maxConnections >= 1, limits.headerTimeout > 0, limits.idleTimeout > 0,
              limits.headerTimeout.isFinite, limits.idleTimeout.isFinite else {
            throw ListenerError(.limits, "connection limits must be positive (max connections \(limits.maxConnections), "
                                + "header timeout \(limits.headerTimeout) s, idle timeout \(limits.idleTimeout) s)")
        }
        let http = HTTPServerBuilder.http1(configuration: .init(
            additionalChannelHandlers: [ConnectionGuard(registry: registry, limits: limits)],
            idleTimeout: .milliseconds(Int64(limits.idleTimeout * 1000))))
        guard let files = config.tls else { return http }
        let tls = try tlsConfiguration(files)
        do {
            return try HTTPServerBuilder.tls(http, tlsConfiguration: tls)
        } catch {
            throw ListenerError(.tls, "TLS: \(error)")
        }
    }

    /// A server TLS configuration (TLS 1.2 or later) from PEM files, with client certificates
    /// verified against `clientCA` when given (required or optional).
    public static func tlsConfiguration(_ files: TLSFiles) throws(ListenerError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do { chain = try NIOSSLCertificate.fromPEMFile(files.certificateChain) } catch {
            throw ListenerError(.tls, "\(files.certificateChain): not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else { throw ListenerError(.tls, "\(files.certificateChain): no certificate in the file") }
        do { key = try NIOSSLPrivateKey(file: files.privateKey, format: .pem) } catch {
            throw ListenerError(.tls, "\(files.privateKey): not a PEM private key (\(error))")
        }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        if let ca = files.clientCA {
            do { _ = try NIOSSLCertificate.fromPEMFile(ca) } catch {
                throw ListenerError(.tls, "\(ca): not a PEM CA certificate (\(error))")
            }
            tls.trustRoots = .file(ca)
            tls.certificateVerification = files.requireClientCertificate ? .noHostnameVerification : .optionalVerification
        } else if files.requireClientCertificate {
            throw ListenerError(.tls, "requiring client certificates needs a client CA (--tls-client-ca)")
        }
        return tls
    }
}

/// The request context of a Vigie listener: Hummingbird's basic context plus the connection's
/// verified client certificate, if any.
public struct ListenerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `CN=...` of the verified client certificate of this connection.
    public let peerCertificate: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerCertificate = ListenerRegistries.shared.peer(of: source.channel)
    }
}

/// Every listener's registry in this process, so that a request context (which Hummingbird builds
/// from the channel alone) can find its connection's certificate.
public final class ListenerRegistries: Sendable {
    public static let shared = ListenerRegistries()
    private let registries = NIOLockedValueBox<[ConnectionRegistry]>([])

    public func add(_ r: ConnectionRegistry) { registries.withLockedValue { $0.append(r) } }

    func peer(of channel: any Channel) -> String? {
        for r in registries.withLockedValue({ $0 }) { if let p = r.peer(of: channel) { return p } }
        return nil
    }
}

extension ListenerConfig {
    /// Hummingbird's application settings of this listener. The accept backlog is deep enough that
    /// a burst of connections (thousands of idle clients connecting at once) does not drop the SYN
    /// of a legitimate one, which would cost it a one-second retransmission.
    public func applicationConfiguration(serverName: String) -> ApplicationConfiguration {
        ApplicationConfiguration(address: .hostname(host, port: port), serverName: serverName, backlog: 2_048)
    }
}
