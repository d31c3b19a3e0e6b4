import Foundation
import HTTPListener
import Synchronization

/// The console's browser sessions: a login exchanges a read or operator token for a random session
/// id carried by an HttpOnly cookie (EventSource and download links cannot send a bearer header),
/// plus a CSRF token that every state-changing request by cookie must echo in `X-CSRF-Token`.
///
/// In memory only: a restart logs everybody out, which is acceptable for a console and keeps
/// session ids out of the database. A session remembers the token it was opened with, so the
/// role is the token's *current* role: a token removed from the token file (SIGHUP) closes its
/// sessions at their next request.
public final class SessionStore: Sendable {
    struct Session: Sendable {
        var token: String
        var csrf: String
        var lastUsed: Double
    }

    /// A session unused this long is gone (seconds).
    public let idleTimeout: Double
    /// At most this many sessions; a new one evicts the least recently used (a flood of logins
    /// cannot grow memory without bound).
    public let capacity: Int
    private let sessions = Mutex<[String: Session]>([:])
    private let clock: @Sendable () -> Double

    public init(idleTimeout: Double = 12 * 3600, capacity: Int = 1000,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.idleTimeout = idleTimeout
        self.capacity = max(1, capacity)
        self.clock = clock
    }

    /// The name of the cookie.
    public static let cookieName = "vigie_session"

    /// A new session for `token`: its id and CSRF token (each 256 random bits, hex).
    func open(token: String) -> (id: String, csrf: String) {
        let id = Self.randomHex(), csrf = Self.randomHex(), now = clock()
        sessions.withLock { all in
            all = all.filter { now - $0.value.lastUsed <= idleTimeout }
            while all.count >= capacity, let oldest = all.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key {
                all[oldest] = nil
            }
            all[id] = Session(token: token, csrf: csrf, lastUsed: now)
        }
        return (id, csrf)
    }

    /// The live session `id` names (its idle clock restarted), nil when unknown or expired.
    func use(_ id: String) -> Session? {
        let now = clock()
        return sessions.withLock { all -> Session? in
            guard var s = all[id] else { return nil }
            if now - s.lastUsed > idleTimeout { all[id] = nil; return nil }
            s.lastUsed = now
            all[id] = s
            return s
        }
    }

    func close(_ id: String) { sessions.withLock { _ = $0.removeValue(forKey: id) } }

    var count: Int { sessions.withLock { $0.count } }

    /// 32 bytes from the system's CSPRNG (`getrandom` on Linux), as 64 hex digits.
    static func randomHex() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// The value of cookie `name` in a `Cookie:` header (`a=1; b=2`), nil when absent.
    static func cookie(_ name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                return pair[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// Equal CSRF tokens, compared without an early exit.
    static func sameSecret(_ a: String, _ b: String?) -> Bool {
        guard let b else { return false }
        return TokenStore.constantTimeEqual(Array(a.utf8), Array(b.utf8))
    }
}
