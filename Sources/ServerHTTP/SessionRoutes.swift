import Foundation
import Hummingbird

extension ServerAPI {
    /// The console's login (SessionStore.swift): `POST /api/v1/session` exchanges a read or operator
    /// token for a session cookie, `GET` tells the page who it is, `DELETE` logs out. Open to anyone
    /// (the middleware lets them through: without them nobody could log in); each checks by itself.
    enum SessionRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.post, "api/v1/session") { request, _, api -> Response in
                var request = request
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                // A token is short: a small limit, whatever the configured body size.
                guard let bytes = try await body(&request, limit: 4096) else { return tooLarge(4096) }
                guard let q = try? decode(LoginRequest.self, bytes) else { return Problem.badRequest("body: {\"token\": TOKEN}") }
                let access = api.config.access
                guard let role = access.role(of: q.token) else {
                    return Problem.make(401, "not a read or operator token").response()
                }
                let (id, csrf) = access.sessions.open(token: q.token)
                // Secure: browsers keep it on https and on loopback http (a secure context);
                // SameSite=Strict: never sent by another site's page; HttpOnly: no script reads it.
                var response = json(SessionAnswer(role: role.rawValue, csrf: csrf, open: false))
                response.headers[.setCookie] = "\(SessionStore.cookieName)=\(id); HttpOnly; Secure; SameSite=Strict; Path=/"
                response.headers[.cacheControl] = "no-store"
                return response
            },
            APIRoute(.get, "api/v1/session") { request, _, api -> Response in
                let access = api.config.access
                if let id = SessionStore.cookie(SessionStore.cookieName, in: request.headers[.cookie]),
                   let s = access.sessions.use(id), let role = access.role(of: s.token) {
                    var response = json(SessionAnswer(role: role.rawValue, csrf: s.csrf, open: false))
                    response.headers[.cacheControl] = "no-store"
                    return response
                }
                // No credential needed at all (loopback without tokens): the console needs no login.
                // With operator tokens only (reads open), a login is still how an operator acts.
                if access.readsOpen && access.changesOpen {
                    return json(SessionAnswer(role: "operator", csrf: nil, open: true))
                }
                return Problem.make(401, "no session: log in with POST /api/v1/session {\"token\": TOKEN}").response()
            },
            APIRoute(.delete, "api/v1/session") { request, _, api -> Response in
                let sessions = api.config.access.sessions
                guard let id = SessionStore.cookie(SessionStore.cookieName, in: request.headers[.cookie]), let s = sessions.use(id) else {
                    return Problem.make(401, "no session to end").response()
                }
                // Logging out is a state change by cookie: the CSRF rule holds here too.
                guard SessionStore.sameSecret(s.csrf, request.headers[OperatorAccess.csrfHeader]) else {
                    return Problem.make(403, "DELETE /api/v1/session needs the session's CSRF token in 'X-CSRF-Token'").response()
                }
                sessions.close(id)
                var response = Response(status: .noContent)
                response.headers[.setCookie] = "\(SessionStore.cookieName)=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0"
                return response
            },
        ]
    }
}

struct LoginRequest: Decodable { var token: String }

/// What `GET`/`POST /api/v1/session` answer: the role, the CSRF token to echo (none when the
/// server needs no credential: `open`).
struct SessionAnswer: Encodable { var role: String; var csrf: String?; var open: Bool }
