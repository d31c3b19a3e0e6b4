import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOSSL
import NIOTLS

/// One per connection, right after the HTTP/1 codec: registers the connection (evicting or
/// refusing at the cap), closes it when no complete request head arrives in time (slowloris, a
/// TLS handshake that never ends, an idle keep-alive), and notes the client certificate.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let registry: ConnectionRegistry
    let limits: ListenerLimits
    private var deadline: Scheduled<Void>?
    private var refused = false
    private var registered = false

    init(registry: ConnectionRegistry, limits: ListenerLimits) {
        self.registry = registry
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        registered = true
        refused = !registry.open(context.channel)
        arm(context, seconds: refused ? min(2, limits.headerTimeout) : limits.headerTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        if registered { registry.closed(context.channel) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        context.fireChannelInactive()
    }

    /// Closes the connection unless a request head arrives within `seconds`.
    private func arm(_ context: ChannelHandlerContext, seconds: Double) {
        deadline?.cancel()
        let channel = context.channel, registry = self.registry
        deadline = context.eventLoop.scheduleTask(in: .milliseconds(Int64(max(0.05, seconds) * 1000))) {
            registry.headTimedOut()
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head = part {
            deadline?.cancel()
            deadline = nil
            if refused {
                let head = HTTPResponse(status: .serviceUnavailable, headerFields: [.connection: "close", .contentLength: "0", .retryAfter: "1"])
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
                return
            }
            registry.awaitingHead(context.channel, false)
        }
        if refused { return }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), !refused {
            // The response is complete: the connection may wait for its next request, as long as
            // the idle timeout allows, and may be evicted meanwhile.
            registry.awaitingHead(context.channel, true)
            arm(context, seconds: limits.idleTimeout)
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls,
           let ssl = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
           let certificate = ssl.peerCertificate {
            // The handshake verified it against the client CA: it identifies the peer.
            registry.setPeer(context.channel, Self.subject(certificate))
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// `CN=name` of a certificate (NIOSSL exposes the common name through its description only).
    static func subject(_ certificate: NIOSSLCertificate) -> String {
        let text = certificate.description
        guard let start = text.range(of: ";common_name=") else { return "serial:" + certificate.serialNumber.map { String($0, radix: 16) }.joined() }
        let rest = text[start.upperBound...]
        return "CN=" + String(rest.prefix { $0 != ";" && $0 != ">" })
    }
}
