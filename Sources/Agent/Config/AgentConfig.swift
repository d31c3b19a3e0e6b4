import HTTPListener
import Analytics
/// How the store keeps data when it reaches its quota.
public enum RetentionMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Delete the oldest segments to make room (circular buffer).
    case ring
    /// Stop storing at the quota; keep running and report it.
    case linear
}

/// Storage settings. Defaults are the documented ones (docs/configuration.md).
public struct StorageConfig: Sendable, Hashable {
    /// Rotate a segment once it would exceed this size. Default 256 MiB.
    public var segmentBytes: UInt64 = 256 << 20
    /// Rotate a segment once it spans this much packet time. Default 60 s.
    public var segmentSeconds: Double = 60
    public var retention: RetentionMode = .ring
    /// Most bytes the segments may occupy. Default 10 GiB.
    public var quotaBytes: UInt64 = 10 << 30
    /// Ring mode: also delete segments older than this (packet time, relative to the newest packet). Default: none.
    public var maxAgeSeconds: Double?
    /// Live capture: write buffered packets at least this often so the partial segment is readable. Default 1 s.
    public var flushSeconds: Double = 1
    /// Write buffer per segment. Default 1 MiB.
    public var writeBufferBytes: Int = 1 << 20

    public init() {}

    /// Checks relations between values; the option named is the one to change.
    public func validate() throws(ConfigError) {
        if segmentBytes < 4096 { throw ConfigError(option: "storage.segment_size", "must be at least 4KiB") }
        if segmentSeconds <= 0 { throw ConfigError(option: "storage.segment_duration", "must be positive") }
        if quotaBytes < 2 * segmentBytes {
            throw ConfigError(option: "storage.quota", "must be at least twice storage.segment_size (\(quotaBytes) < 2 x \(segmentBytes))")
        }
        if let a = maxAgeSeconds, a <= 0 { throw ConfigError(option: "storage.max_age", "must be positive") }
        if flushSeconds <= 0 { throw ConfigError(option: "storage.flush_interval", "must be positive") }
    }
}

/// Live capture settings.
public struct CaptureConfig: Sendable, Hashable {
    public var interface: String?
    /// Bytes kept per packet. Default 262144 (whole packets).
    public var snaplen: Int32 = 262_144
    public var promiscuous: Bool = true
    /// Kernel buffer. Default 64 MiB.
    public var bufferBytes: UInt64 = 64 << 20
    /// BPF expression deciding which packets are stored (nil = all).
    public var prefilter: String?

    public init() {}
}

/// Field index settings (docs/index-format.md).
public struct IndexConfig: Sendable, Hashable {
    /// Index segments while they are written. Default true.
    public var enabled: Bool = true
    /// Fields to index: `default` (addresses, ports, proto, vlan), plus optional `mac`, `dns.qname`,
    /// `http.host`, `tls.sni`, or `all`.
    public var fields: [String] = ["default"]

    public init() {}
}

/// Logging settings.
public struct LoggingConfig: Sendable, Hashable {
    /// trace, debug, info, notice, warning, error, critical. Default info.
    public var level: String = "info"
    /// How often running counters are logged. Default 60 s.
    public var statsSeconds: Double = 60

    public init() {}
}

/// The whole agent configuration (one YAML file, every option overridable by a flag).
public struct AgentConfig: Sendable, Hashable {
    /// This agent's name in every record (`agent_id`). Default: the host name.
    public var agentID: String?
    /// URL at which the server reaches this agent's query API (announced in `agent_health` for
    /// drill-down). Default: `http://LISTEN` when `capture --listen` names a specific address.
    public var queryAPIURL: String?
    /// The metrics-only listener for scrapers (`/metrics`, `/healthz`, `/readyz`): `PORT` (on
    /// loopback), or `HOST:PORT`. Off when nil.
    public var metricsListen: String?
    public var store: String?
    public var storage = StorageConfig()
    public var capture = CaptureConfig()
    public var index = IndexConfig()
    public var logging = LoggingConfig()
    public var analytics = AnalyticsSettings()
    public var export = ExportSettings()
    /// The query API's listener (YAML `api:`; flags of `serve` and `capture` override it):
    /// token file, TLS, connection limits (docs/security.md).
    public var api = ListenerSettings()
    /// `fleet:`: the server to register with and take central configuration from (docs/fleet.md).
    public var fleet = FleetSettings()
    /// `pins:`: incident-triggered retention (docs/pins.md).
    public var pins = PinConfig()
    /// Planned recordings (YAML `recordings:`, docs/recordings.md).
    public var recordings: [RecordingDefinition] = []

    public init() {}
}


/// Traffic analytics settings (docs/flows.md, docs/records.md).
public struct AnalyticsSettings: Sendable, Hashable {
    /// Run flow tracking, service states and dependency edges. Default true.
    public var enabled: Bool = true
    /// Most concurrent flows tracked (the oldest idle one is evicted beyond). Default 1,000,000.
    public var maxFlows: Int = 1_000_000
    /// Service-state window. Default 10 s.
    public var windowSeconds: Double = 10
    /// Dependency-edge interval. Default 60 s.
    public var edgeIntervalSeconds: Double = 60
    /// Successful transactions are written 1 in this many (errors always). Default 10.
    public var transactionSampleRate: Int = 10
    /// Write the records as NDJSON files in `STORE/records` (the embedded default sink). Default true.
    public var recordFiles: Bool = true
    /// Total size of the record files kept. Default 1 GiB.
    public var recordFilesBytes: UInt64 = 1 << 30
    /// gzip each record file when it is closed (`records-N.ndjson.gz`; docs/records.md, "Files"):
    /// NDJSON compresses about tenfold, which is what keeps records within 10 % of the pcap bytes.
    /// The size bound counts the compressed sizes. Default true.
    public var recordFilesCompress: Bool = true
    /// `analytics.tunnels`: `tenant_keys` (the encapsulations whose identity separates tenants: part
    /// of the flow key and of service ids; default VXLAN, Geneve, GRE), `mirror_vnis` and
    /// `mirror_gre_keys` (identities of mirror sessions, never a tenant). Handed as is to the flow
    /// tracker (docs/flows.md, "Tunnels and tenants").
    public var tunnels = TunnelAnalyticsConfig()
    /// `analytics.reassembly`: `enabled`, `max_message_bytes`, `max_flow_bytes`, `max_total_bytes`,
    /// `hole_timeout` (TCP stream reassembly for the application parsers, docs/flows.md). Handed as
    /// is to the flow tracker.
    public var reassembly = StreamReassemblyConfig()
    /// `analytics.workers`: analytics threads (flow tracking, parsing, `conn`/`txn` encoding).
    /// Default: the machine's cores minus one (the capture thread's), at least 1 (docs/pipeline.md).
    public var workers: Int = ShardedAnalyticsConfig.defaultWorkers
    /// `analytics.ring_size`: bytes of each worker's packet ring. Default 32 MiB.
    public var ringBytes: Int = ShardedAnalyticsConfig().ringBytes
    /// `services:` (top level in YAML): the service-state thresholds, defaults and overrides per
    /// service and per port (docs/configuration.md). Live: a central change applies at once.
    public var thresholds = ServiceThresholdSet()

    public init() {}
}

/// Export settings: the spool and the Kafka / HTTP sinks (docs/export.md).
public struct ExportSettings: Sendable, Hashable {
    /// Spool bound (`STORE/spool`). Default 1 GiB.
    public var spoolBytes: UInt64 = 1 << 30
    /// Kafka sink, when `kafka.bootstrap_servers` is set.
    public var kafkaBootstrap: String?
    public var kafkaTopicPrefix: String = "vigie."
    public var kafkaTopics: [String: String] = [:]
    /// librdkafka properties passed through (TLS, SASL, tuning).
    public var kafkaProperties: [String: String] = [:]
    /// HTTP sink, when `http.url` is set.
    public var httpURL: String?
    public var httpToken: String?
    /// Where `httpToken` was read from (`export.http.token_file`, `--http-token-file`): the sink
    /// re-reads it after the server refused the token, so a rotation needs no restart.
    public var httpTokenFile: String?
    public var httpCAFile: String?

    public init() {}

    /// Whether any network sink is configured (the spool exists only then).
    public var hasSinks: Bool { kafkaBootstrap != nil || httpURL != nil }
}
