import Foundation
import Hummingbird
import Synchronization
import Testing
import VigieTestSupport
@testable import ServerHTTP

/// A clock the test moves by hand.
private final class ManualClock: Sendable {
    let now = Mutex<Double>(1_000_000)
    func advance(_ s: Double) { now.withLock { $0 += s } }
    var read: @Sendable () -> Double { { [self] in now.withLock { $0 } } }
}

/// The console's sessions without a server: expiry, the bound, the cookie and CSRF rules.
@Suite("console sessions: rules")
struct SessionRuleTests {
    @Test("a session lives while used, dies after 12 h idle; ids and CSRF tokens are 256 random bits")
    func expiry() {
        let clock = ManualClock()
        let store = SessionStore(idleTimeout: 12 * 3600, capacity: 10, clock: clock.read)
        let (id, csrf) = store.open(token: "op")
        #expect(id.count == 64 && csrf.count == 64 && id != csrf)
        let hex = id.allSatisfy { $0.isHexDigit }
        #expect(hex)
        clock.advance(11 * 3600)
        #expect(store.use(id)?.csrf == csrf)      // used: the idle clock restarts
        clock.advance(11 * 3600)
        #expect(store.use(id) != nil)
        clock.advance(12 * 3600 + 1)
        #expect(store.use(id) == nil)             // idle too long
        #expect(store.use("nonsense") == nil)
    }

    @Test("at most `capacity` sessions: a new login evicts the least recently used")
    func bounded() {
        let clock = ManualClock()
        let store = SessionStore(capacity: 3, clock: clock.read)
        var ids: [String] = []
        for _ in 0..<3 { ids.append(store.open(token: "op").id); clock.advance(1) }
        _ = store.use(ids[0])                     // the first is now the most recent
        clock.advance(1)
        let fourth = store.open(token: "op").id
        #expect(store.count == 3)
        #expect(store.use(ids[1]) == nil)         // the least recently used went
        #expect(store.use(ids[0]) != nil && store.use(ids[2]) != nil && store.use(fourth) != nil)
        store.close(fourth)
        #expect(store.use(fourth) == nil)
    }

    @Test("the session cookie is found among others; absent or malformed headers give nil")
    func cookieParsing() {
        #expect(SessionStore.cookie("vigie_session", in: "a=1; vigie_session=abc; b=2") == "abc")
        #expect(SessionStore.cookie("vigie_session", in: "vigie_session=x=y") == "x=y")
        #expect(SessionStore.cookie("vigie_session", in: "other_vigie_session=abc") == nil)
        #expect(SessionStore.cookie("vigie_session", in: "vigie_session") == nil)
        #expect(SessionStore.cookie("vigie_session", in: nil) == nil)
    }

    @Test("a cookie counts as its token's role; state changes by cookie need the CSRF header; bearer clients are unchanged")
    func cookieAndCSRF() {
        var access = OperatorAccess(operatorTokens: ["op"], readTokens: ["rd"])
        access.sessions = SessionStore()
        let op = access.sessions.open(token: "op"), rd = access.sessions.open(token: "rd")
        let opCookie = "vigie_session=\(op.id)", rdCookie = "vigie_session=\(rd.id)"
        func denial(_ method: HTTPRequest.Method, _ path: String, bearer: String? = nil, cookie: String? = nil, csrf: String? = nil) -> Int? {
            access.denial(method: method, path: path, authorization: bearer.map { "Bearer \($0)" }, cookie: cookie, csrf: csrf).map { Int($0.status.code) }
        }
        // Reads by cookie, no CSRF needed.
        #expect(denial(.get, "/api/v1/weather", cookie: opCookie) == nil)
        #expect(denial(.get, "/api/v1/weather", cookie: rdCookie) == nil)
        #expect(denial(.get, "/api/v1/weather", cookie: "vigie_session=unknown") == 401)
        // State changes by cookie: the CSRF header, the right one.
        #expect(denial(.post, "/api/v1/acks", cookie: opCookie) == 403)
        #expect(denial(.post, "/api/v1/acks", cookie: opCookie, csrf: rd.csrf) == 403)
        #expect(denial(.post, "/api/v1/acks", cookie: opCookie, csrf: op.csrf) == nil)
        #expect(denial(.delete, "/api/v1/maintenance/1", cookie: opCookie, csrf: op.csrf) == nil)
        // A read session cannot write, CSRF or not.
        #expect(denial(.post, "/api/v1/acks", cookie: rdCookie, csrf: rd.csrf) == 403)
        // Bearer clients: no CSRF involved; a bearer token wins over a cookie.
        #expect(denial(.post, "/api/v1/acks", bearer: "op") == nil)
        #expect(denial(.post, "/api/v1/acks", bearer: "rd", cookie: opCookie, csrf: op.csrf) == 403)
        // The console's files and the login are open; the rest is not.
        #expect(denial(.get, "/") == nil && denial(.get, "/console/app.js") == nil)
        #expect(denial(.post, "/api/v1/session") == nil)
        #expect(denial(.get, "/weather.html") == 401 && denial(.get, "/api/v1/events") == 401)
        #expect(denial(.post, "/console/app.js") == 401)
    }

    @Test("a token removed after login closes its sessions (the role is the token's current one)")
    func revokedToken() {
        var access = OperatorAccess(operatorTokens: ["op"], readTokens: ["rd"])
        access.sessions = SessionStore()
        let s = access.sessions.open(token: "op")
        access.operatorTokens = ["op2"]
        #expect(access.denial(method: .get, path: "/api/v1/weather", authorization: nil, cookie: "vigie_session=\(s.id)", csrf: nil)?.status.code == 401)
    }
}

/// The login on a real server, through curl and its cookie jar.
@Suite("console sessions: vigie-server", .serialized, .enabled(if: HTTPFixture.hasTool("curl"), "needs curl"))
struct SessionServerTests {
    struct Answer { var status: Int; var body: String; var headers: String }

    static func call(_ f: HTTPFixture, _ method: String, _ path: String, jar: String, body: String? = nil, csrf: String? = nil,
                     bearer: String? = nil, type: String = "application/json") throws -> Answer {
        let headers = f.dir + "/h-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: headers) }
        var argv = ["curl", "-s", "-D", headers, "-b", jar, "-c", jar, "-w", "\n%{http_code}", "-X", method]
        if let body { argv += ["-H", "Content-Type: \(type)", "--data-binary", body] }
        if let csrf { argv += ["-H", "X-CSRF-Token: \(csrf)"] }
        if let bearer { argv += ["-H", "Authorization: Bearer \(bearer)"] }
        let r = try HTTPFixture.run(argv + [f.url(path)])
        let cut = r.stdout.lastIndex(of: "\n") ?? r.stdout.startIndex
        return Answer(status: Int(r.stdout[r.stdout.index(after: cut)...]) ?? 0, body: String(r.stdout[..<cut]),
                      headers: (try? String(contentsOfFile: headers, encoding: .utf8)) ?? "")
    }

    @Test("login with an operator token: an HttpOnly Secure SameSite=Strict cookie, reads and writes by cookie with CSRF, logout")
    func operatorLogin() throws {
        let f = try HTTPFixture(arguments: ["--operator-token", "op-s3cret", "--read-token", "r3ad"])
        let jar = f.dir + "/jar"
        // A bad node to acknowledge.
        #expect(try f.post([Lines.serviceState(seq: 1, service: "10.0.0.7:5432/tcp", state: "REFUSED")]).status == 200)
        // Without a session: the console loads, the API does not.
        #expect(try Self.call(f, "GET", "/", jar: jar).status == 200)
        #expect(try Self.call(f, "GET", "/api/v1/session", jar: jar).status == 401)
        #expect(try Self.call(f, "GET", "/api/v1/weather", jar: jar).status == 401)
        // Wrong tokens: 401, no cookie; an agent's token is not a console token.
        for token in ["nope", "t0k3n"] {
            let bad = try Self.call(f, "POST", "/api/v1/session", jar: jar, body: #"{"token":"\#(token)"}"#)
            #expect(bad.status == 401 && !bad.headers.lowercased().contains("set-cookie"), "\(token): \(bad.status)")
        }
        // A form post (what another site could make a browser send) never reaches the login.
        #expect(try Self.call(f, "POST", "/api/v1/session", jar: jar, body: "token=op-s3cret", type: "application/x-www-form-urlencoded").status == 415)
        let login = try Self.call(f, "POST", "/api/v1/session", jar: jar, body: #"{"token":"op-s3cret"}"#)
        #expect(login.status == 200, "\(login.body)")
        let cookie = try #require(login.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") })
        for attribute in ["vigie_session=", "HttpOnly", "Secure", "SameSite=Strict", "Path=/"] { #expect(cookie.contains(attribute), "\(cookie)") }
        #expect(!login.body.contains("op-s3cret"))
        let answer = try f.jsonObject(login.body)
        #expect(answer["role"] as? String == "operator")
        let csrf = try #require(answer["csrf"] as? String)
        #expect(csrf.count == 64)
        // The session answers who it is; reads by cookie.
        let me = try Self.call(f, "GET", "/api/v1/session", jar: jar)
        let again = try f.jsonObject(me.body)["csrf"] as? String
        #expect(me.status == 200 && again == csrf)
        #expect(try Self.call(f, "GET", "/api/v1/weather", jar: jar).status == 200)
        #expect(try Self.call(f, "GET", "/weather.html", jar: jar).status == 200)
        // A state change by cookie: 403 without or with a wrong CSRF token, done with it.
        let ack = #"{"node":"db"}"#
        #expect(try Self.call(f, "POST", "/api/v1/acks", jar: jar, body: ack).status == 403)
        #expect(try Self.call(f, "POST", "/api/v1/acks", jar: jar, body: ack, csrf: String(repeating: "0", count: 64)).status == 403)
        #expect(try Self.call(f, "POST", "/api/v1/acks", jar: jar, body: ack, csrf: csrf).status == 204)
        // Bearer clients are unchanged (no CSRF).
        #expect(try Self.call(f, "DELETE", "/api/v1/acks/db", jar: f.dir + "/empty-jar", bearer: "op-s3cret").status == 204)
        // Logout needs the CSRF token too, then the cookie opens nothing.
        #expect(try Self.call(f, "DELETE", "/api/v1/session", jar: jar).status == 403)
        #expect(try Self.call(f, "DELETE", "/api/v1/session", jar: jar, csrf: csrf).status == 204)
        #expect(try Self.call(f, "GET", "/api/v1/weather", jar: jar).status == 401)
    }

    @Test("a read session reads and may not write; without tokens the console needs no login")
    func readSessionAndOpenServer() throws {
        let f = try HTTPFixture(arguments: ["--operator-token", "op-s3cret", "--read-token", "r3ad"])
        let jar = f.dir + "/jar"
        let login = try Self.call(f, "POST", "/api/v1/session", jar: jar, body: #"{"token":"r3ad"}"#)
        let csrf = try #require((try f.jsonObject(login.body))["csrf"] as? String)
        #expect((try f.jsonObject(login.body))["role"] as? String == "read")
        #expect(try Self.call(f, "GET", "/api/v1/agents", jar: jar).status == 200)
        #expect(try Self.call(f, "POST", "/api/v1/acks", jar: jar, body: #"{"node":"db"}"#, csrf: csrf).status == 403)

        let open = try HTTPFixture()
        let me = try Self.call(open, "GET", "/api/v1/session", jar: open.dir + "/jar")
        #expect(me.status == 200)
        let body = try open.jsonObject(me.body)
        #expect(body["open"] as? Bool == true && body["role"] as? String == "operator" && body["csrf"] == nil)
    }

    @Test("the console's files: HTML at /, scripts and style under /console/ with their types, a strict CSP, no-cache on the page")
    func consoleFiles() throws {
        let f = try HTTPFixture(arguments: ["--operator-token", "op-s3cret", "--read-token", "r3ad"])
        let jar = f.dir + "/jar"
        let page = try Self.call(f, "GET", "/", jar: jar)
        #expect(page.status == 200 && page.body.contains("<script type=\"module\" src=\"/console/app.js\"></script>"))
        let lower = page.headers.lowercased()
        #expect(lower.contains("content-type: text/html; charset=utf-8"))
        #expect(lower.contains("content-security-policy: default-src 'self'"))
        #expect(lower.contains("cache-control: no-cache"))
        for (path, type) in [("/console/app.js", "text/javascript"), ("/console/pages/node.js", "text/javascript"), ("/console/console.css", "text/css")] {
            let r = try Self.call(f, "GET", path, jar: jar)
            #expect(r.status == 200 && r.headers.lowercased().contains("content-type: \(type)"), "\(path): \(r.status)")
            #expect(r.headers.lowercased().contains("content-security-policy: default-src 'self'"), "\(path)")
        }
        #expect(try Self.call(f, "GET", "/console/nothing.js", jar: jar).status == 404)
        // Files are looked up by name in a table: no path reaches anything else.
        #expect(try Self.call(f, "GET", "/console/%2e%2e/api/v1/weather", jar: jar).status == 404)
        // No inline script or style in the page (the CSP would block them).
        #expect(!page.body.contains("<script>") && !page.body.contains("style="))
    }
}
