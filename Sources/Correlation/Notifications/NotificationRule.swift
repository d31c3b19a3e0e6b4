/// A notification rule: which nodes it watches (one node id, or every node of a kind), how bad
/// and for how long before it fires, how often it repeats while firing, and where it sends.
///
/// A rule's `id` is its name: episodes and outbox rows refer to it, so it must stay stable
/// across restarts (a renamed rule is a new rule; its old episodes are resolved).
public struct NotificationRule: Sendable, Hashable, Codable {
    /// Where a rule was defined: the API may only change the rules it created.
    public enum Origin: String, Sendable, Codable { case file, api }

    public var id: String
    /// Exactly one of `node` and `kind` is set.
    public var node: String?
    public var kind: NodeKind?
    /// Fires when the node's state is at or worse than this (OK < WARNING < DEGRADED < DOWN).
    /// `UNKNOWN` is not on that scale: a rule with `state: UNKNOWN` fires on UNKNOWN only.
    public var state: Health
    /// Seconds the state must last before the rule fires (0: at once).
    public var forSeconds: Double
    /// Seconds between repeats while firing; nil: no repeat.
    public var repeatSeconds: Double?
    /// The `severity` label (and the syslog severity): critical, error, warning, info.
    public var severity: String
    /// Receiver names.
    public var receivers: [String]
    public var origin: Origin

    public init(id: String, node: String? = nil, kind: NodeKind? = nil, state: Health, forSeconds: Double = 0, repeatSeconds: Double? = nil,
                severity: String = "critical", receivers: [String], origin: Origin = .file) {
        self.id = id; self.node = node; self.kind = kind; self.state = state; self.forSeconds = forSeconds
        self.repeatSeconds = repeatSeconds; self.severity = severity; self.receivers = receivers; self.origin = origin
    }

    public func matches(node id: String, kind k: NodeKind) -> Bool {
        if let node { return node == id }
        return kind == k
    }

    /// What a node's state means for this rule. UNKNOWN ("no fresh evidence") neither starts nor
    /// ends an episode of a rule on the known scale: an agent going silent must not resolve an
    /// outage it can no longer see, nor raise one.
    public func verdict(_ s: Health) -> Verdict {
        if state == .unknown { return s == .unknown ? .bad : .good }
        guard let sev = s.severity, let threshold = state.severity else { return .noEvidence }
        return sev >= threshold ? .bad : .good
    }

    public enum Verdict: Sendable { case bad, good, noEvidence }

    /// Severity names accepted in `severity:` (the syslog severity they map to, RFC 5424 §6.2.1).
    public static let severities: [String: Int] = ["critical": 2, "error": 3, "warning": 4, "info": 6]
}

/// Where notifications go.
public struct NotificationReceiver: Sendable, Hashable, Codable {
    public var name: String
    public var target: Target

    public enum Target: Sendable, Hashable, Codable {
        case webhook(Webhook)
        case syslog(Syslog)
    }

    /// An HTTP POST of Alertmanager's webhook JSON.
    public struct Webhook: Sendable, Hashable, Codable {
        public var url: String
        /// File holding a bearer token (read at start; the token never appears in the configuration).
        public var bearerTokenFile: String?
        /// Seconds one POST may take (connect included).
        public var timeoutSeconds: Double
        public init(url: String, bearerTokenFile: String? = nil, timeoutSeconds: Double = 10) {
            self.url = url; self.bearerTokenFile = bearerTokenFile; self.timeoutSeconds = timeoutSeconds
        }
    }

    /// RFC 5424 messages over UDP (one datagram each) or TCP (octet counting, RFC 6587 §3.4.1).
    public struct Syslog: Sendable, Hashable, Codable {
        public enum Transport: String, Sendable, Codable { case udp, tcp }
        public var host: String
        public var port: Int
        public var transport: Transport
        /// 0...23 (`local0` is 16).
        public var facility: Int
        public init(host: String, port: Int, transport: Transport = .udp, facility: Int = 16) {
            self.host = host; self.port = port; self.transport = transport; self.facility = facility
        }
    }

    public init(name: String, target: Target) { self.name = name; self.target = target }
}
