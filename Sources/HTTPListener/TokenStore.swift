import Foundation
import NIOConcurrencyHelpers

/// What a bearer token allows (docs/security.md).
public enum TokenRole: String, Sendable, CaseIterable {
    /// Read packets, segments, status, weather, series.
    case read
    /// Change state (inventory, maintenance, acks, pins, configuration) and read.
    case `operator`
    /// Ingest records, bound to one agent id (the token's name).
    case agent
    /// The server's credential towards agents: drill down, and name the user it acts for.
    case drilldown
}

/// One token of a token file.
public struct TokenEntry: Sendable, Equatable {
    public var role: TokenRole
    /// Who holds it, as audit lines name them (for an `agent` token: the agent id).
    public var name: String
    public var token: String
}

/// Bearer tokens read from a file, never from the command line (where `ps` shows them). One line
/// per token, `ROLE NAME TOKEN`, `#` starts a comment:
///
///     # role     name            token
///     read       alice           6f1c0e2d9a7b4c3e8f5a1b2c3d4e5f60
///     drilldown  vigie-server    0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d
///
/// The file must not be readable by other users, tokens are at least 16 characters, and
/// ``reload()`` (on SIGHUP) swaps the whole set at once: a bad file keeps the previous set.
public final class TokenStore: Sendable {
    public let path: String?
    private let entries: NIOLockedValueBox<[TokenEntry]>

    /// Shortest token accepted.
    public static let minimumLength = 16

    /// Loads `path`; nil: no tokens (an empty store).
    public init(path: String?) throws(ListenerError) {
        self.path = path
        entries = NIOLockedValueBox(try path.map(Self.load) ?? [])
    }

    /// A store of the given entries (tests, and tokens built in code).
    public init(entries: [TokenEntry]) {
        path = nil
        self.entries = NIOLockedValueBox(entries)
    }

    /// Reads the file again; on error the current tokens stay in force.
    public func reload() throws(ListenerError) {
        guard let path else { return }
        let fresh = try Self.load(path)
        entries.withLockedValue { $0 = fresh }
    }

    public var isEmpty: Bool { entries.withLockedValue { $0.isEmpty } }

    public func count(_ role: TokenRole) -> Int { entries.withLockedValue { $0.filter { $0.role == role }.count } }

    public func names(_ role: TokenRole) -> [String] { entries.withLockedValue { $0.filter { $0.role == role }.map(\.name) } }

    /// The entry whose token is `candidate`, compared in constant time over every entry (no early
    /// exit that would tell an attacker how much of a token matched, or which one).
    public func identify(_ candidate: String) -> TokenEntry? {
        let c = Array(candidate.utf8)
        let all = entries.withLockedValue { $0 }
        var found: TokenEntry?
        for e in all where Self.constantTimeEqual(Array(e.token.utf8), c) && found == nil { found = e }
        return found
    }

    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<min(a.count, b.count) { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    static func load(_ path: String) throws(ListenerError) -> [TokenEntry] {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ListenerError(.tokens, "\(path): cannot read the token file (\(String(cString: strerror(errno))))") }
        if st.st_mode & 0o007 != 0 {
            throw ListenerError(.tokens, "\(path): the token file is readable by every user; chmod o-rwx \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw ListenerError(.tokens, "\(path): cannot read the token file") }
        var out: [TokenEntry] = []
        var seen: Set<String> = []
        for (n, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            let at = "\(path):\(n + 1)"
            guard fields.count == 3 else { throw ListenerError(.tokens, "\(at): expected 'ROLE NAME TOKEN', found \(fields.count) field(s)") }
            guard let role = TokenRole(rawValue: fields[0].lowercased()) else {
                throw ListenerError(.tokens, "\(at): unknown role '\(fields[0])' (read, operator, agent, drilldown)")
            }
            let token = String(fields[2])
            guard token.utf8.count >= minimumLength, token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw ListenerError(.tokens, "\(at): a token must be at least \(minimumLength) printable ASCII characters")
            }
            guard seen.insert(token).inserted else { throw ListenerError(.tokens, "\(at): this token is already given on an earlier line") }
            out.append(TokenEntry(role: role, name: String(fields[1]), token: token))
        }
        return out
    }

    /// The token of an `Authorization: Bearer TOKEN` header.
    public static func bearer(_ header: String?) -> String? {
        guard let header, header.utf8.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
