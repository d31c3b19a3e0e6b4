import Foundation

/// The JSON Alertmanager posts to webhook receivers (version 4), so that receivers written for
/// Alertmanager work unchanged. One notification carries one alert (one episode).
public struct AlertmanagerPayload: Sendable, Codable, Hashable {
    public var version = "4"
    public var groupKey: String
    public var truncatedAlerts = 0
    public var status: String
    public var receiver: String
    public var groupLabels: [String: String]
    public var commonLabels: [String: String]
    public var commonAnnotations: [String: String]
    public var externalURL: String
    public var alerts: [Alert]

    public struct Alert: Sendable, Codable, Hashable {
        public var status: String
        public var labels: [String: String]
        public var annotations: [String: String]
        public var startsAt: String
        public var endsAt: String
        public var generatorURL: String
        public var fingerprint: String
    }

    /// Alertmanager's "no end yet" time.
    static let zeroTime = "0001-01-01T00:00:00Z"

    public init(event: NotificationEvent, receiver: String, externalURL: String) {
        let e = event.episode
        let status = event.kind == .resolved ? "resolved" : "firing"
        let labels = ["alertname": e.rule, "node": e.node, "kind": e.kind.rawValue, "state": e.state.rawValue, "severity": e.severity]
        let verb = event.kind == .resolved ? "recovered from" : "is"
        let summary = "\(e.kind.rawValue) \(e.node) \(verb) \(e.state.rawValue) (rule \(e.rule))"
        let annotations = ["summary": summary, "causes": e.causes.joined(separator: ", ")]
        let base = externalURL.hasSuffix("/") ? String(externalURL.dropLast()) : externalURL
        let nodePath = e.node.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? e.node
        let alert = Alert(status: status, labels: labels, annotations: annotations, startsAt: Self.time(e.firedAt ?? e.startedAt),
                          endsAt: e.resolvedAt.map(Self.time) ?? Self.zeroTime,
                          generatorURL: "\(base)/api/v1/nodes/\(nodePath)", fingerprint: e.id)
        groupKey = "{}:{alertname=\"\(e.rule)\", node=\"\(e.node)\"}"
        self.status = status
        self.receiver = receiver
        groupLabels = ["alertname": e.rule, "node": e.node]
        commonLabels = labels
        commonAnnotations = annotations
        self.externalURL = externalURL
        alerts = [alert]
    }

    /// RFC 3339 UTC with milliseconds.
    static func time(_ t: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    public func json() -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return (try? Array(e.encode(self))) ?? []
    }
}
