import Foundation

/// One (rule, node) episode: the node went bad for the rule (pending), stayed bad long enough
/// (firing), then recovered (resolved, which ends the episode). Persisted at every change, with
/// the notifications the change queues, in one transaction: a restart resumes it without losing
/// or repeating a notification.
public struct NotificationEpisode: Sendable, Hashable, Codable {
    public enum Phase: String, Sendable, Codable { case pending, firing, resolved }

    /// Stable for the episode's life: the payload's `fingerprint`, repeated by every retry.
    public var id: String
    public var rule: String
    public var node: String
    public var kind: NodeKind
    public var phase: Phase
    /// When the node was first seen bad for the rule.
    public var startedAt: Double
    public var firedAt: Double?
    /// When the last firing (or repeat) notification was queued.
    public var lastSentAt: Double?
    public var resolvedAt: Double?
    /// The state and causes last seen while bad (what the notifications say).
    public var state: Health
    public var causes: [String]
    /// The rule's receivers and severity when the episode fired: its resolved goes to the same
    /// receivers even if the rule was changed or removed meanwhile.
    public var receivers: [String] = []
    public var severity: String = "critical"

    public var key: Key { Key(rule: rule, node: node) }

    public struct Key: Sendable, Hashable, Codable {
        public var rule: String
        public var node: String
        public init(rule: String, node: String) { self.rule = rule; self.node = node }
    }

    /// A stable id of 16 hex digits (Alertmanager's fingerprint length) from the rule, the node
    /// and the start time: the same episode always has the same id, two episodes never share it.
    public static func makeID(rule: String, node: String, startedAt: Double) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(rule.utf8.count)|\(rule)|\(node)|\(Int64(exactly: (startedAt * 1000).rounded()) ?? 0)".utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }
}
