import Foundation
import Yams

/// The notification settings of the server (`serve --notifications FILE`): receivers, the
/// file's rules, the outbound allow-list and the delivery limits. One value, checked once.
public struct NotificationConfig: Sendable {
    public var receivers: [String: NotificationReceiver] = [:]
    public var rules: [NotificationRule] = []
    /// CIDRs webhook URLs may point to (`allow:`, added to `--notify-allow`); checked by the
    /// executable, which owns the address parsing. Empty: loopback only.
    public var allow: [String] = []
    /// Most entries the outbox holds; past it the oldest are deleted (counted as dropped).
    public var maxOutbox = 10_000
    /// Seconds between evaluations.
    public var evaluateEvery = 1.0
    /// Backoff of a failed delivery: `retryInitial` doubled per attempt, at most `retryMax`.
    public var retryInitial = 1.0
    public var retryMax = 60.0
    /// The server's URL as receivers should link to it (`externalURL`, `generatorURL`).
    public var externalURL = ""

    public init() {}

    /// Reads a notifications YAML file; every error names the key at fault.
    public static func parse(yaml text: String) throws(NotificationConfigError) -> NotificationConfig {
        let object: Any?
        do { object = try Yams.load(yaml: text) } catch {
            throw NotificationConfigError(.invalid, key: "(file)", "not valid YAML: \(error)")
        }
        guard let object else { return NotificationConfig() }
        let top = try Fields(object, key: "(file)")
        var c = NotificationConfig()
        try top.only(["allow", "receivers", "rules", "outbox_max", "evaluate_every_s", "retry_initial_s", "retry_max_s", "external_url"])
        if let allow = top["allow"] { c.allow = try Fields.strings(allow, key: "allow") }
        if let v = top["outbox_max"] {
            guard let n = Fields.number(v), n >= 1, n <= 10_000_000, n == n.rounded() else {
                throw NotificationConfigError(.invalid, key: "outbox_max", "must be an integer 1...10000000")
            }
            c.maxOutbox = Int(n)
        }
        c.evaluateEvery = try top.seconds("evaluate_every_s", in: 0.05...3600) ?? c.evaluateEvery
        c.retryInitial = try top.seconds("retry_initial_s", in: 0.05...3600) ?? c.retryInitial
        c.retryMax = try top.seconds("retry_max_s", in: 0.05...86400) ?? c.retryMax
        guard c.retryMax >= c.retryInitial else { throw NotificationConfigError(.invalid, key: "retry_max_s", "must be >= retry_initial_s") }
        if let v = top["external_url"] {
            guard let s = v as? String else { throw NotificationConfigError(.invalid, key: "external_url", "must be a URL") }
            c.externalURL = s
        }
        if let v = top["receivers"] {
            let receivers = try Fields(v, key: "receivers")
            for name in receivers.keys.sorted() {
                c.receivers[name] = try NotificationReceiver.parse(name: name, receivers.dict[name] as Any, key: "receivers.\(name)")
            }
        }
        if let v = top["rules"] {
            guard let list = v as? [Any] else { throw NotificationConfigError(.invalid, key: "rules", "must be a list of rules") }
            for (k, item) in list.enumerated() {
                let rule = try NotificationRule.parse(item, key: "rules[\(k)]", receivers: c.receivers, origin: .file)
                if c.rules.contains(where: { $0.id == rule.id }) {
                    throw NotificationConfigError(.conflict, key: "rules[\(k)].name", "rule '\(rule.id)' is defined twice")
                }
                c.rules.append(rule)
            }
        }
        return c
    }
}

/// A refused notification setting or rule: what is wrong (`code`), where (`key`, e.g.
/// `rules[2].for_s`), and why.
public struct NotificationConfigError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable { case invalid, unknownKey, notFound, conflict, readOnly, storage }
    public var code: Code
    public var key: String
    public var message: String
    public init(_ code: Code, key: String, _ message: String) { self.code = code; self.key = key; self.message = message }
    public var description: String { "\(key): \(message)" }
}

/// A mapping read from YAML or JSON, with errors naming keys.
struct Fields {
    let dict: [String: Any]
    let key: String

    init(_ object: Any, key: String) throws(NotificationConfigError) {
        guard let d = object as? [String: Any] else { throw NotificationConfigError(.invalid, key: key, "must be a mapping") }
        dict = d; self.key = key
    }

    var keys: [String] { Array(dict.keys) }
    subscript(_ name: String) -> Any? { dict[name].flatMap { $0 is NSNull ? nil : $0 } }
    func path(_ name: String) -> String { key == "(file)" ? name : "\(key).\(name)" }

    func only(_ allowed: Set<String>) throws(NotificationConfigError) {
        if let bad = dict.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw NotificationConfigError(.unknownKey, key: path(bad), "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ name: String, required: Bool = false) throws(NotificationConfigError) -> String? {
        guard let v = self[name] else {
            if required { throw NotificationConfigError(.invalid, key: path(name), "is required") }
            return nil
        }
        guard let s = v as? String, !s.isEmpty else { throw NotificationConfigError(.invalid, key: path(name), "must be a non-empty string") }
        return s
    }

    func seconds(_ name: String, in range: ClosedRange<Double>) throws(NotificationConfigError) -> Double? {
        guard let v = self[name] else { return nil }
        guard let n = Self.number(v), n.isFinite, range.contains(n) else {
            throw NotificationConfigError(.invalid, key: path(name), "must be a number of seconds \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }

    /// Numbers as Yams gives them (API bodies are read by Yams too: JSON is YAML), never a Bool.
    static func number(_ v: Any) -> Double? {
        if v is Bool { return nil }
        if let i = v as? Int { return Double(i) }
        if let d = v as? Double { return d }
        return nil
    }

    static func strings(_ v: Any, key: String) throws(NotificationConfigError) -> [String] {
        if let s = v as? String { return [s] }
        guard let list = v as? [Any], let out = list as? [String] else { throw NotificationConfigError(.invalid, key: key, "must be a list of strings") }
        return out
    }
}

extension NotificationReceiver {
    static let facilities = ["kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7, "uucp": 8, "cron": 9,
                             "authpriv": 10, "ftp": 11, "local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21,
                             "local6": 22, "local7": 23]

    static func parse(name: String, _ object: Any, key: String) throws(NotificationConfigError) -> NotificationReceiver {
        let f = try Fields(object, key: key)
        try f.only(["webhook", "syslog"])
        switch (f["webhook"], f["syslog"]) {
        case (let w?, nil):
            let w = try Fields(w, key: key + ".webhook")
            try w.only(["url", "bearer_token_file", "timeout_s"])
            let url = try w.string("url", required: true) ?? ""
            guard let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = parts.host, !host.isEmpty, parts.user == nil, parts.password == nil else {
                throw NotificationConfigError(.invalid, key: w.path("url"), "'\(url)' is not an http:// or https:// URL with a host (and no user:password)")
            }
            return NotificationReceiver(name: name, target: .webhook(.init(url: url, bearerTokenFile: try w.string("bearer_token_file"),
                                                                           timeoutSeconds: try w.seconds("timeout_s", in: 0.1...300) ?? 10)))
        case (nil, let s?):
            let s = try Fields(s, key: key + ".syslog")
            try s.only(["address", "protocol", "facility"])
            let address = try s.string("address", required: true) ?? ""
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
                throw NotificationConfigError(.invalid, key: s.path("address"), "'\(address)' is not HOST:PORT")
            }
            var host = String(address[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw NotificationConfigError(.invalid, key: s.path("address"), "'\(address)' has no host") }
            let proto = try s.string("protocol") ?? "udp"
            guard let transport = Syslog.Transport(rawValue: proto.lowercased()) else {
                throw NotificationConfigError(.invalid, key: s.path("protocol"), "must be udp or tcp")
            }
            var facility = 16
            if let v = s["facility"] {
                if let n = Fields.number(v), n == n.rounded(), (0...23).contains(n) { facility = Int(n) }
                else if let t = v as? String, let n = facilities[t.lowercased()] { facility = n }
                else { throw NotificationConfigError(.invalid, key: s.path("facility"), "must be 0...23 or a name (local0 ... local7, daemon, ...)") }
            }
            return NotificationReceiver(name: name, target: .syslog(.init(host: host, port: port, transport: transport, facility: facility)))
        default:
            throw NotificationConfigError(.invalid, key: key, "needs exactly one of 'webhook' and 'syslog'")
        }
    }
}

extension NotificationRule {
    /// A rule from YAML or from an API request's JSON (same keys, same checks).
    public static func parse(_ object: Any, key: String, receivers: [String: NotificationReceiver], origin: Origin) throws(NotificationConfigError)
        -> NotificationRule {
        let f = try Fields(object, key: key)
        try f.only(["name", "node", "kind", "state", "for_s", "repeat_s", "severity", "receivers"])
        let name = try f.string("name", required: true) ?? ""
        guard name.count <= 200, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-:".contains($0)) }) else {
            throw NotificationConfigError(.invalid, key: f.path("name"), "'\(name)': letters, digits, '.', '_', '-', ':' only, at most 200")
        }
        let node = try f.string("node")
        var kind: NodeKind?
        if let k = try f.string("kind") {
            guard let parsed = NodeKind(rawValue: k.lowercased()) else {
                throw NotificationConfigError(.invalid, key: f.path("kind"), "'\(k)' is not one of \(NodeKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = parsed
        }
        guard (node == nil) != (kind == nil) else { throw NotificationConfigError(.invalid, key: key, "needs exactly one of 'node' and 'kind'") }
        let stateText = try f.string("state") ?? "DOWN"
        guard let state = Health(name: stateText), state != .ok else {
            throw NotificationConfigError(.invalid, key: f.path("state"), "'\(stateText)' is not WARNING, DEGRADED, DOWN or UNKNOWN")
        }
        let severity = (try f.string("severity") ?? "critical").lowercased()
        guard severities[severity] != nil else {
            throw NotificationConfigError(.invalid, key: f.path("severity"), "must be one of \(severities.keys.sorted().joined(separator: ", "))")
        }
        guard let rv = f["receivers"] else { throw NotificationConfigError(.invalid, key: f.path("receivers"), "is required (receiver names)") }
        let names = try Fields.strings(rv, key: f.path("receivers"))
        guard !names.isEmpty else { throw NotificationConfigError(.invalid, key: f.path("receivers"), "must name at least one receiver") }
        for n in names where receivers[n] == nil {
            let known = receivers.keys.sorted().joined(separator: ", ")
            throw NotificationConfigError(.notFound, key: f.path("receivers"), "no receiver '\(n)' (receivers: \(known.isEmpty ? "none" : known))")
        }
        return NotificationRule(id: name, node: node, kind: kind, state: state, forSeconds: try f.seconds("for_s", in: 0...31_536_000) ?? 0,
                                repeatSeconds: try f.seconds("repeat_s", in: 1...31_536_000), severity: severity, receivers: names, origin: origin)
    }
}
