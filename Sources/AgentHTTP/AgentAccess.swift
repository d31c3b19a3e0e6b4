import HTTPListener
import HTTPTypes
import Hummingbird

/// Who may use the agent's API (docs/security.md). With no token file and no client CA the API is
/// open, which only a loopback listener allows (``ListenerConfig/checkExposure``). Otherwise every
/// route but `/healthz` and `/readyz` needs a `read` or `drilldown` bearer token, or a client
/// certificate verified against the client CA (the server's drill-down credential).
public struct AgentAccess: Sendable {
    public var tokens: TokenStore
    /// The listener verifies client certificates: a verified one is the drill-down credential.
    public var clientCertificates: Bool

    public init(tokens: TokenStore = TokenStore(entries: []), clientCertificates: Bool = false) {
        self.tokens = tokens
        self.clientCertificates = clientCertificates
    }

    var isOpen: Bool { tokens.isEmpty && !clientCertificates }

    /// The header through which the server names the user a drill-down is made for; only the
    /// drill-down credential may set it.
    static let onBehalfOf = HTTPField.Name("Vigie-On-Behalf-Of")!
}

/// Who made a request, as the audit log names them.
struct Caller: Sendable {
    /// Token name, `CN=...` of a client certificate, or `anonymous` on an open loopback API.
    var name: String
    var role: TokenRole?
    /// The user a drill-down credential acts for (`Vigie-On-Behalf-Of`).
    var onBehalfOf: String?

    var audit: String { onBehalfOf.map { "\(name) for \($0)" } ?? name }
}

/// Authenticates every request, and hands the caller to the routes.
struct AgentAccessMiddleware: RouterMiddleware {
    typealias Context = AgentRequestContext
    let access: AgentAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let path = request.uri.path
        if path == "/healthz" || path == "/readyz" { return try await next(request, context) }
        let behalf = request.headers[AgentAccess.onBehalfOf]
        if let behalf, behalf.utf8.count > 128 || !behalf.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            return Problem.make(400, "Vigie-On-Behalf-Of must be at most 128 printable ASCII characters").response()
        }
        if access.isOpen {
            context.caller = Caller(name: "anonymous", role: nil, onBehalfOf: behalf)
            return try await next(request, context)
        }
        var caller: Caller?
        if let token = TokenStore.bearer(request.headers[.authorization]) {
            if let entry = access.tokens.identify(token), entry.role == .read || entry.role == .drilldown
                || entry.role == .operator && (PinRoutes.isPinPath(path) || RecordingRoutes.operatorMay(request.method, path)) {
                caller = Caller(name: entry.name, role: entry.role)
            } else {
                return Problem.make(401, "the bearer token is not valid for this agent (a read or drilldown token is needed)")
                    .response(headers: [.wwwAuthenticate: "Bearer realm=\"vigie-agent\", error=\"invalid_token\""])
            }
        } else if access.clientCertificates, let subject = context.peerCertificate {
            caller = Caller(name: subject, role: .drilldown)
        }
        guard var caller else {
            return Problem.make(401, "\(request.method) \(path) needs 'Authorization: Bearer TOKEN' (read or drilldown) or a client certificate")
                .response(headers: [.wwwAuthenticate: "Bearer realm=\"vigie-agent\""])
        }
        if let behalf {
            guard caller.role == .drilldown else {
                return Problem.make(403, "only the drill-down credential may act on behalf of a user (Vigie-On-Behalf-Of)").response()
            }
            caller.onBehalfOf = behalf
        }
        context.caller = caller
        if let refusal = PinRoutes.refusal(request.method, path, caller) { return refusal }
        return try await next(request, context)
    }
}

/// Wraps the whole router (no route is declared for HEAD, and the router answers an undeclared
/// method with 404):
/// - HEAD answers what GET would, with the same status and headers, without the body (RFC 9110
///   §9.3.2): the request reaches the GET route marked ``AgentRequestContext/isHead``, and NIO sends
///   no body bytes for a HEAD. A route whose body is costly to make (a pcap extraction) checks the
///   mark and validates the request without running it.
/// - Any other method on a path of the API answers 405 with `Allow: GET, HEAD` (RFC 9110 §15.5.6),
///   rather than the router's 404.
public struct HeadAsGetResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == AgentRequestContext {
    public typealias Context = AgentRequestContext
    let inner: Inner
    /// The paths of the API's routes.
    let paths: Set<String>

    public init(_ inner: Inner, paths: Set<String>) {
        self.inner = inner
        self.paths = paths
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        if let refused = PinRoutes.methodNotAllowed(request.method, Self.normalized(request.uri.path)) { return refused }
        // The recordings' paths take other methods (only where they are routed: not on the metrics listener).
        if paths.contains(RecordingRoutes.collection), let allow = RecordingRoutes.allowedMethods(Self.normalized(request.uri.path)),
           !allow.contains(request.method == .head ? .get : request.method) {
            let names = allow.flatMap { $0 == .get ? ["GET", "HEAD"] : [$0.rawValue] }.joined(separator: ", ")
            return Problem.make(405, "\(request.method) is not allowed here: \(names)").response(headers: [.allow: names])
        }
        switch request.method {
        case .get:
            return try await inner.respond(to: request, context: context)
        case .head:
            var head = request.head
            head.method = .get
            var context = context
            context.isHead = true
            return try await inner.respond(to: Request(head: head, body: request.body), context: context)
        default:
            guard paths.contains(Self.normalized(request.uri.path)), !PinRoutes.isMutation(request.method, request.uri.path),
                  RecordingRoutes.allowedMethods(Self.normalized(request.uri.path)) == nil else { return try await inner.respond(to: request, context: context) }
            return Problem.make(405, "\(request.method) is not allowed here: the API answers GET and HEAD")
                .response(headers: [.allow: "GET, HEAD"])
        }
    }

    /// The path as the router matches it: without a trailing slash.
    static func normalized(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}

/// The request context of the agent API: the listener's (client certificate) plus the caller.
public struct AgentRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let peerCertificate: String?
    var caller = Caller(name: "anonymous", role: nil)
    /// The request is a HEAD, answered by the GET route (``HeadAsGetResponder``): no body is sent.
    public internal(set) var isHead = false

    public init(source: ApplicationRequestContextSource) {
        let listener = ListenerRequestContext(source: source)
        coreContext = listener.coreContext
        peerCertificate = listener.peerCertificate
    }
}
