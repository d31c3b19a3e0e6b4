/// Delivery counters of one export sink (the agent's Kafka and HTTP sinks, module `Transport`), for
/// `vigie-agent status` and the `sinks` of `agent_health`: here so that the analytics, which write
/// `agent_health`, and the sinks share them.
public struct SinkStats: Sendable, Hashable, Codable {
    public var name: String
    /// Records the destination confirmed (Kafka delivery report, HTTP 2xx).
    public var delivered: UInt64 = 0
    /// Records sent again after a failed attempt (they may arrive twice: duplicates are removed by
    /// the receiver on `(agent_id, epoch, seq)`).
    public var retried: UInt64 = 0
    /// Records the destination rejected for good (HTTP 400, 413, 415, 422: a malformed batch),
    /// written to the dead-letter file.
    public var deadLettered: UInt64 = 0
    /// Requests the destination refused for their credentials (HTTP 401, 403); their records stay
    /// spooled and are retried.
    public var authFailures: UInt64 = 0
    /// Confirmed but spooled records not yet sent or confirmed (from the spool).
    public var pending: UInt64 = 0
    /// The last error seen, cleared by the next success.
    public var lastError: String?
    /// When the destination last confirmed records (Unix seconds), nil before the first time.
    public var lastDeliveredAt: Double?

    public init(name: String) { self.name = name }
}

extension SinkStats {
    /// Counters missing from the JSON read as 0: a `status.json` written by an agent that did not
    /// count them yet (before `authFailures`) still reads after an upgrade.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name))
        for (key, counter) in [(CodingKeys.delivered, \Self.delivered), (.retried, \.retried), (.deadLettered, \.deadLettered),
                               (.authFailures, \.authFailures), (.pending, \.pending)] as [(CodingKeys, WritableKeyPath<Self, UInt64>)] {
            self[keyPath: counter] = try c.decodeIfPresent(UInt64.self, forKey: key) ?? 0
        }
        lastError = try c.decodeIfPresent(String.self, forKey: .lastError)
        lastDeliveredAt = try c.decodeIfPresent(Double.self, forKey: .lastDeliveredAt)
    }
}
