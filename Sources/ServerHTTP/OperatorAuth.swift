import Foundation
import HTTPListener
import HTTPTypes
import Hummingbird

/// Who may call the operator endpoints (every route except `POST /api/v1/ingest`, which checks
/// the agents' tokens itself). Agent, operator and read tokens are separate sets: one kind never
/// opens what another does.
public struct OperatorAccess: Sendable {
    /// Bearer tokens allowed to change state (inventory edits, maintenance, acknowledgements,
    /// dependency confirm/promote) and to read. Empty: state changes are not authenticated.
    public var operatorTokens: Set<String> = []
    /// Bearer tokens allowed to read only (GETs, what-if, events, metrics, the HTML page).
    /// Empty: reads are open to anyone.
    public var readTokens: Set<String> = []
    /// The token file's `read` and `operator` tokens (named, re-read on SIGHUP).
    public var store = TokenStore(entries: [])
    /// A listener other machines can reach: reads and state changes need a token even when none of
    /// that kind is configured (nobody may, then), instead of being open.
    public var closedByDefault = false
    /// The console's browser sessions (SessionStore.swift): a valid `vigie_session` cookie counts as
    /// the token it was opened with. A reference: the middleware and the session routes share it.
    public var sessions = SessionStore()

    public init(operatorTokens: Set<String> = [], readTokens: Set<String> = []) {
        self.operatorTokens = operatorTokens
        self.readTokens = readTokens
    }

    /// What a request needs.
    enum Requirement: Equatable {
        /// Ingest: authenticated by the route (agent tokens).
        case agent
        /// Liveness and readiness probes: no credential (load balancers and orchestrators have none).
        case probe
        /// The console's own files and the login (`/`, `/console/...`, `/api/v1/session`): open, or
        /// nobody could reach the login form; they hold no data.
        case console
        case read
        case operate
    }

    /// Requests that change state need an operator token; reads (GET, HEAD, and the read-only
    /// `POST /api/v1/whatif`) a read or operator token when read tokens are configured.
    static func requirement(method: HTTPRequest.Method, path: String) -> Requirement {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        if path == "/api/v1/ingest" || ServerAPI.FleetRoutes.agentPaths.contains(path) { return .agent }
        if path == "/healthz" || path == "/readyz", method == .get || method == .head { return .probe }
        if path == "/api/v1/session" { return .console }
        if path == "/" || path.hasPrefix("/console/"), method == .get || method == .head { return .console }
        switch method {
        case .get, .head, .options: return .read
        case .post where path == "/api/v1/whatif": return .read
        default: return .operate
        }
    }

    /// The header that carries a session's CSRF token on state changes.
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!  // a valid constant name

    /// Reads need no credential (loopback, no read token of any kind).
    var readsOpen: Bool { !closedByDefault && readTokens.isEmpty && store.count(.read) == 0 }
    /// State changes need no credential (loopback, no operator token of any kind).
    var changesOpen: Bool { !closedByDefault && operatorTokens.isEmpty && store.count(.operator) == 0 }

    /// nil when the request may proceed, else the 401/403 problem response (bearer tokens only).
    func denial(method: HTTPRequest.Method, path: String, authorization: String?) -> Response? {
        denial(method: method, path: path, authorization: authorization, cookie: nil, csrf: nil)
    }

    /// nil when the request may proceed, else the 401/403 problem response. A bearer token wins over
    /// a session cookie; a request authenticated by cookie that changes state (not GET/HEAD/OPTIONS)
    /// must echo the session's CSRF token in `X-CSRF-Token` (a cookie is sent by the browser on
    /// its own; the header proves the page that sends it read the session's answer).
    func denial(method: HTTPRequest.Method, path: String, authorization: String?, cookie: String?, csrf: String?) -> Response? {
        let needed = Self.requirement(method: method, path: path)
        switch needed {
        case .agent, .probe, .console: return nil
        case .read where readsOpen: return nil
        case .operate where changesOpen: return nil
        default: break
        }
        let token = Self.bearer(authorization)
        var role = token.flatMap(role(of:))
        if token == nil, let id = SessionStore.cookie(SessionStore.cookieName, in: cookie), let session = sessions.use(id) {
            role = self.role(of: session.token)
            let safe = method == .get || method == .head || method == .options
            if role != nil, !safe, !SessionStore.sameSecret(session.csrf, csrf) {
                return Problem.make(403, "\(method) \(path) by session cookie needs the session's CSRF token in 'X-CSRF-Token'").response()
            }
        }
        switch needed {
        case .read: if role == .read || role == .operator { return nil }
        case .operate: if role == .operator { return nil }
        default: return nil
        }
        if needed == .operate, role == .read {
            var p = Problem.make(403, "this token may only read; \(method) \(path) needs an operator token")
            p.type = "about:blank"
            return p.response(headers: [.wwwAuthenticate: "Bearer realm=\"vigie\", error=\"insufficient_scope\""])
        }
        let what = needed == .operate ? "an operator token" : "a read or operator token"
        let p = Problem.make(401, "\(method) \(path) needs 'Authorization: Bearer TOKEN' with \(what) (or the console's session cookie)")
        let error = token == nil ? "" : ", error=\"invalid_token\""
        return p.response(headers: [.wwwAuthenticate: "Bearer realm=\"vigie\"\(error)"])
    }

    /// The role of a token: the file's, or the flags' (operator before read).
    func role(of token: String) -> TokenRole? {
        if let e = store.identify(token), e.role == .read || e.role == .operator { return e.role }
        if Self.contains(operatorTokens, token) { return .operator }
        if Self.contains(readTokens, token) { return .read }
        return nil
    }

    /// Who is calling, as audit lines and the drill-down's `Vigie-On-Behalf-Of` name them: the token
    /// file's name, `operator-token`/`read-token` for a flag's token, else `anonymous`.
    public func callerName(authorization: String?) -> String {
        guard let token = Self.bearer(authorization) else { return "anonymous" }
        if let e = store.identify(token), e.role == .read || e.role == .operator { return e.name }
        if Self.contains(operatorTokens, token) { return "operator-token" }
        if Self.contains(readTokens, token) { return "read-token" }
        return "anonymous"
    }

    /// The token of an `Authorization: Bearer TOKEN` header (the token files' parser).
    static func bearer(_ header: String?) -> String? { TokenStore.bearer(header) }

    /// Membership without an early exit on the first differing byte (no timing hint about tokens),
    /// with the token files' constant-time comparison.
    static func contains(_ tokens: Set<String>, _ candidate: String) -> Bool {
        let c = Array(candidate.utf8)
        var found = false
        for t in tokens { found = TokenStore.constantTimeEqual(Array(t.utf8), c) || found }
        return found
    }
}

/// Applies ``OperatorAccess`` to every route added after it (the router adds it first).
struct OperatorAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: OperatorAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let denied = access.denial(method: request.method, path: request.uri.path, authorization: request.headers[.authorization],
                                      cookie: request.headers[.cookie], csrf: request.headers[OperatorAccess.csrfHeader]) {
            return denied
        }
        return try await next(request, context)
    }
}
