import Records

/// Settings of the Kafka sink. Every librdkafka property can be given in ``properties`` (TLS,
/// SASL, tuning); the defaults below make delivery safe and are applied unless overridden.
public struct KafkaSinkConfig: Sendable, Hashable {
    /// Sink name (spool cursor name). Default `kafka`.
    public var name = "kafka"
    /// `host:port[,host:port...]` of the cluster (librdkafka `bootstrap.servers`).
    public var bootstrapServers: String
    /// Topic per record family; a family not listed goes to ``topicPrefix`` + its name
    /// (`vigie.conn`, `vigie.service_state`, ...).
    public var topics: [String: String] = [:]
    /// Default `vigie.`.
    public var topicPrefix = "vigie."
    /// librdkafka properties, passed through as given (they override the safe defaults).
    public var properties: [String: String] = [:]

    /// The properties applied before ``properties``: idempotent producer, `acks=all`, lz4
    /// compression, 50 ms batching, and a 5-minute message timeout: a longer outage is absorbed by
    /// the spool (expired messages are re-sent from it), not by librdkafka's memory.
    public static let safeDefaults: [String: String] = [
        "enable.idempotence": "true",
        "acks": "all",
        "compression.type": "lz4",
        "linger.ms": "50",
        "message.timeout.ms": "300000",
        "queue.buffering.max.messages": "100000",
        "socket.keepalive.enable": "true",
        "client.id": "vigie-agent",
    ]

    public init(bootstrapServers: String) { self.bootstrapServers = bootstrapServers }

    /// The topic of a record family.
    public func topic(for kind: RecordKind) -> String { topics[kind.name] ?? topicPrefix + kind.name }

    /// Everything handed to librdkafka.
    public var effectiveProperties: [String: String] {
        var all = Self.safeDefaults
        all["bootstrap.servers"] = bootstrapServers
        for (k, v) in properties { all[k] = v }
        return all
    }
}
