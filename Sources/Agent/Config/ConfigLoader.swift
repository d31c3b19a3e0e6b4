import Foundation
import HTTPListener
import Yams
import SystemIO
import Analytics
import PacketDecoding
import Transport
import Fleet

/// Loads `AgentConfig` from YAML, rejecting unknown options and wrong types with an error that
/// names the option and the file.
public enum ConfigLoader {
    public static func load(path: String) throws -> AgentConfig {
        guard let bytes = try StorageError.io({ () throws(SystemError) in try FileSystem.readFile(path) }) else {
            throw ConfigError(option: "--config", "file not found: \(path)")
        }
        return try parse(String(decoding: bytes, as: UTF8.self), file: path)
    }

    /// The token held in `path`, whitespace trimmed: tokens live in files, never on the command
    /// line, where `ps` shows them.
    public static func token(fromFile path: String, option: String, file: String? = nil) throws -> String {
        do throws(ExportError) { return try BearerToken.read(path) } catch {
            throw ConfigError(option: option, "\(path): \(error.detail)", file: file)
        }
    }

    public static func parse(_ yaml: String, file: String? = nil) throws -> AgentConfig {
        try apply(yaml, onto: AgentConfig(), file: file)
    }

    /// A central configuration document (docs/fleet.md) applied onto the local configuration:
    /// refused, naming the key, when it holds a key the server may not set or a bad value. The
    /// result is the local file's configuration with the central keys replaced.
    public static func applyCentral(_ yaml: String, onto local: AgentConfig) throws -> AgentConfig {
        do throws(CentralKeys.Refusal) { _ = try CentralKeys.check(yaml) } catch {
            throw ConfigError(option: error.key, error.message, file: "central configuration")
        }
        let config = try apply(yaml, onto: local, file: "central configuration")
        try config.storage.validate()
        try config.pins.validate(storage: config.storage)
        // An index field list replaces the local one (not merged), so check it names known fields.
        _ = try config.index.fieldSet()
        return config
    }

    static func apply(_ yaml: String, onto base: AgentConfig, file: String?) throws -> AgentConfig {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(option: "(document)", "not valid YAML: \(error)", file: file)
        }
        var config = base
        guard let node else { return config }
        let r = Reader(file: file)
        let top = try r.mapping(node, "(document)")
        try r.checkKeys(top, "", allowed: ["agent_id", "query_api_url", "metrics_listen", "store", "storage", "capture", "index", "logging",
                                                "analytics", "export", "api", "fleet", "services", "pins", "recordings"])
        if let v = top["fleet"] { try parseFleet(v, r, &config.fleet) }
        if let v = top["services"] { try parseServices(v, r, &config.analytics.thresholds) }
        if let v = top["store"] { config.store = try r.string(v, "store") }
        if let v = top["agent_id"] { config.agentID = try r.string(v, "agent_id") }
        if let v = top["query_api_url"] {
            let url = try r.string(v, "query_api_url")
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ConfigError(option: "query_api_url", "must be an http:// or https:// URL", file: file)
            }
            config.queryAPIURL = url
        }
        if let v = top["metrics_listen"] { config.metricsListen = try r.string(v, "metrics_listen") }
        if let a = top["analytics"] { try parseAnalytics(a, r, &config.analytics) }
        if let a = top["api"] { try parseAPI(a, r, &config.api) }
        if let p = top["pins"] { try parsePins(p, r, &config.pins) }
        if let e = top["export"] { try parseExport(e, r, &config.export) }
        if let s = top["storage"] {
            let m = try r.mapping(s, "storage")
            try r.checkKeys(m, "storage.", allowed: ["segment_size", "segment_duration", "retention", "quota", "max_age",
                                                      "flush_interval", "write_buffer"])
            if let v = m["segment_size"] { config.storage.segmentBytes = try r.bytes(v, "storage.segment_size") }
            if let v = m["segment_duration"] { config.storage.segmentSeconds = try r.seconds(v, "storage.segment_duration") }
            if let v = m["retention"] {
                let t = try r.string(v, "storage.retention")
                guard let mode = RetentionMode(rawValue: t) else {
                    throw ConfigError(option: "storage.retention", "'\(t)' is not ring or linear", file: file)
                }
                config.storage.retention = mode
            }
            if let v = m["quota"] { config.storage.quotaBytes = try r.bytes(v, "storage.quota") }
            if let v = m["max_age"] { config.storage.maxAgeSeconds = try r.seconds(v, "storage.max_age") }
            if let v = m["flush_interval"] { config.storage.flushSeconds = try r.seconds(v, "storage.flush_interval") }
            if let v = m["write_buffer"] { config.storage.writeBufferBytes = Int(try r.bytes(v, "storage.write_buffer")) }
        }
        if let c = top["capture"] {
            let m = try r.mapping(c, "capture")
            try r.checkKeys(m, "capture.", allowed: ["interface", "snaplen", "promiscuous", "buffer_size", "prefilter"])
            if let v = m["interface"] { config.capture.interface = try r.string(v, "capture.interface") }
            if let v = m["snaplen"] {
                let n = try r.bytes(v, "capture.snaplen")
                guard n >= 64, n <= 262_144 else { throw ConfigError(option: "capture.snaplen", "must be 64...262144", file: file) }
                config.capture.snaplen = Int32(n)
            }
            if let v = m["promiscuous"] { config.capture.promiscuous = try r.bool(v, "capture.promiscuous") }
            if let v = m["buffer_size"] { config.capture.bufferBytes = try r.bytes(v, "capture.buffer_size") }
            if let v = m["prefilter"] { config.capture.prefilter = try r.string(v, "capture.prefilter") }
        }
        if let i = top["index"] {
            let m = try r.mapping(i, "index")
            try r.checkKeys(m, "index.", allowed: ["enabled", "fields"])
            if let v = m["enabled"] { config.index.enabled = try r.bool(v, "index.enabled") }
            if let v = m["fields"] {
                switch v {
                case .sequence(let seq): config.index.fields = try seq.map { try r.string($0, "index.fields") }
                default: config.index.fields = try r.string(v, "index.fields").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                }
            }
        }
        if let v = top["recordings"] { config.recordings = try parseRecordings(v, r, store: config.store) }
        if let l = top["logging"] {
            let m = try r.mapping(l, "logging")
            try r.checkKeys(m, "logging.", allowed: ["level", "stats_interval"])
            if let v = m["level"] { config.logging.level = try r.string(v, "logging.level") }
            if let v = m["stats_interval"] { config.logging.statsSeconds = try r.seconds(v, "logging.stats_interval") }
        }
        return config
    }

    private static func parseAnalytics(_ node: Node, _ r: Reader, _ a: inout AnalyticsSettings) throws {
        let m = try r.mapping(node, "analytics")
        try r.checkKeys(m, "analytics.", allowed: ["enabled", "max_flows", "window", "edge_interval", "txn_sample_rate",
                                                    "record_files", "record_files_size", "record_files_compress", "tunnels",
                                                    "reassembly", "workers", "ring_size"])
        if let t = m["tunnels"] { try parseTunnels(t, r, &a) }
        if let v = m["reassembly"] { try parseReassembly(v, r, &a) }
        if let v = m["enabled"] { a.enabled = try r.bool(v, "analytics.enabled") }
        if let v = m["max_flows"] {
            guard let n = Int(try r.string(v, "analytics.max_flows")), n >= 1024, n <= 100_000_000 else {
                throw ConfigError(option: "analytics.max_flows", "must be a number from 1024 to 100000000", file: r.file)
            }
            a.maxFlows = n
        }
        if let v = m["workers"] {
            let text = try r.string(v, "analytics.workers")
            if text == "auto" {
                a.workers = ShardedAnalyticsConfig.defaultWorkers
            } else {
                guard let n = Int(text), n >= 1, n <= 64 else {
                    throw ConfigError(option: "analytics.workers", "must be a number from 1 to 64, or auto", file: r.file)
                }
                a.workers = n
            }
        }
        if let v = m["ring_size"] {
            let n = try r.bytes(v, "analytics.ring_size")
            guard n >= 1 << 20 && n <= 1 << 30 else {
                throw ConfigError(option: "analytics.ring_size", "must be from 1MiB to 1GiB", file: r.file)
            }
            a.ringBytes = Int(n)
        }
        if let v = m["window"] { a.windowSeconds = try r.seconds(v, "analytics.window") }
        if let v = m["edge_interval"] { a.edgeIntervalSeconds = try r.seconds(v, "analytics.edge_interval") }
        if let v = m["txn_sample_rate"] {
            guard let n = Int(try r.string(v, "analytics.txn_sample_rate")), n >= 1 else {
                throw ConfigError(option: "analytics.txn_sample_rate", "must be a whole number >= 1", file: r.file)
            }
            a.transactionSampleRate = n
        }
        if let v = m["record_files"] { a.recordFiles = try r.bool(v, "analytics.record_files") }
        if let v = m["record_files_size"] { a.recordFilesBytes = try r.bytes(v, "analytics.record_files_size") }
        if let v = m["record_files_compress"] { a.recordFilesCompress = try r.bool(v, "analytics.record_files_compress") }
        if a.windowSeconds < 1 { throw ConfigError(option: "analytics.window", "must be at least 1s", file: r.file) }
        if a.edgeIntervalSeconds < a.windowSeconds {
            throw ConfigError(option: "analytics.edge_interval", "must be at least analytics.window", file: r.file)
        }
    }

    /// `analytics.reassembly`: the TCP stream reassembly's switch and caps.
    private static func parseReassembly(_ node: Node, _ r: Reader, _ a: inout AnalyticsSettings) throws {
        let m = try r.mapping(node, "analytics.reassembly")
        try r.checkKeys(m, "analytics.reassembly.", allowed: ["enabled", "max_message_bytes", "max_flow_bytes",
                                                               "max_total_bytes", "hole_timeout"])
        if let v = m["enabled"] { a.reassembly.enabled = try r.bool(v, "analytics.reassembly.enabled") }
        func size(_ key: String, from low: UInt64, to high: UInt64) throws -> Int? {
            guard let v = m[key] else { return nil }
            let opt = "analytics.reassembly." + key
            let n = try r.bytes(v, opt)
            guard n >= low && n <= high else {
                throw ConfigError(option: opt, "must be from \(low) to \(high) bytes", file: r.file)
            }
            return Int(n)
        }
        if let n = try size("max_message_bytes", from: 256, to: 1 << 20) { a.reassembly.maxMessageStartBytes = n }
        if let n = try size("max_flow_bytes", from: 0, to: 64 << 20) { a.reassembly.maxFlowBytes = n }
        if let n = try size("max_total_bytes", from: 0, to: 64 << 30) { a.reassembly.maxTotalBytes = n }
        if let v = m["hole_timeout"] {
            let seconds = try r.seconds(v, "analytics.reassembly.hole_timeout")
            guard seconds > 0 && seconds <= 3600 else {
                throw ConfigError(option: "analytics.reassembly.hole_timeout", "must be more than 0 and at most 1h", file: r.file)
            }
            a.reassembly.holeTimeoutNanos = Int64(seconds * 1e9)
        }
    }

    /// `analytics.tunnels`: `tenant_keys` (a list, or a comma-separated string, of encapsulation
    /// names; `[]` for none) and `mirror_vnis` (a list of VNIs, 0...16777215).
    private static func parseTunnels(_ node: Node, _ r: Reader, _ a: inout AnalyticsSettings) throws {
        let m = try r.mapping(node, "analytics.tunnels")
        try r.checkKeys(m, "analytics.tunnels.", allowed: ["tenant_keys", "mirror_vnis", "mirror_gre_keys"])
        if let v = m["tenant_keys"] {
            let opt = "analytics.tunnels.tenant_keys"
            let names = try r.list(v, opt)
            var keys = EncapsulationSet()
            for n in names {
                guard let kind = TunnelAnalyticsConfig.tenantKind(named: n) else {
                    throw ConfigError(option: opt, "'\(n)' is not an encapsulation with a tenant identity (known: \(TunnelAnalyticsConfig.tenantKeyNames.joined(separator: ", ")))", file: r.file)
                }
                guard !keys.contains(kind) else { throw ConfigError(option: opt, "'\(n)' is listed twice", file: r.file) }
                keys.insert(kind)
            }
            a.tunnels.tenantKeys = keys
        }
        if let v = m["mirror_vnis"] {
            let opt = "analytics.tunnels.mirror_vnis"
            let items = try r.list(v, opt)
            a.tunnels.mirrorVNIs = try items.map { s in
                guard let n = UInt32(s), n <= 0xFF_FFFF else {
                    throw ConfigError(option: opt, "'\(s)' is not a VNI (a whole number from 0 to 16777215)", file: r.file)
                }
                return n
            }
        }
        if let v = m["mirror_gre_keys"] {
            let opt = "analytics.tunnels.mirror_gre_keys"
            let items = try r.list(v, opt)
            a.tunnels.mirrorGREKeys = try items.map { s in
                let n: UInt32? = s.hasPrefix("0x") || s.hasPrefix("0X") ? UInt32(s.dropFirst(2), radix: 16) : UInt32(s)
                guard let n else {
                    throw ConfigError(option: opt, "'\(s)' is not a GRE key (a 32-bit number, decimal or 0x hex)", file: r.file)
                }
                return n
            }
        }
    }

    private static func parseExport(_ node: Node, _ r: Reader, _ e: inout ExportSettings) throws {
        let m = try r.mapping(node, "export")
        try r.checkKeys(m, "export.", allowed: ["spool_size", "kafka", "http"])
        if let v = m["spool_size"] { e.spoolBytes = try r.bytes(v, "export.spool_size") }
        if let k = m["kafka"] {
            let km = try r.mapping(k, "export.kafka")
            try r.checkKeys(km, "export.kafka.", allowed: ["bootstrap_servers", "topic_prefix", "topics", "properties"])
            if let v = km["bootstrap_servers"] { e.kafkaBootstrap = try r.string(v, "export.kafka.bootstrap_servers") }
            if let v = km["topic_prefix"] { e.kafkaTopicPrefix = try r.string(v, "export.kafka.topic_prefix") }
            if let v = km["topics"] {
                for (name, topic) in try r.mapping(v, "export.kafka.topics") {
                    guard ["conn", "txn", "edge", "service_state", "service_seen", "agent_health", "pin"].contains(name) else {
                        throw ConfigError(option: "export.kafka.topics.\(name)", "unknown record family", file: r.file)
                    }
                    e.kafkaTopics[name] = try r.string(topic, "export.kafka.topics.\(name)")
                }
            }
            if let v = km["properties"] {
                for (name, value) in try r.mapping(v, "export.kafka.properties") {
                    e.kafkaProperties[name] = try r.string(value, "export.kafka.properties.\(name)")
                }
            }
            if e.kafkaBootstrap?.isEmpty ?? true {
                throw ConfigError(option: "export.kafka.bootstrap_servers", "is required when export.kafka is set", file: r.file)
            }
        }
        if let h = m["http"] {
            let hm = try r.mapping(h, "export.http")
            try r.checkKeys(hm, "export.http.", allowed: ["url", "token", "token_file", "ca_file"])
            if let v = hm["url"] { e.httpURL = try r.string(v, "export.http.url") }
            if let v = hm["token"] { e.httpToken = try r.string(v, "export.http.token") }
            if let v = hm["token_file"] {
                let path = try r.string(v, "export.http.token_file")
                e.httpToken = try token(fromFile: path, option: "export.http.token_file", file: r.file)
                e.httpTokenFile = path
            }
            if let v = hm["ca_file"] { e.httpCAFile = try r.string(v, "export.http.ca_file") }
            guard let url = e.httpURL, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ConfigError(option: "export.http.url", "must be an http:// or https:// URL", file: r.file)
            }
        }
    }

    /// `fleet:` (local only): the server, the agent's token and CA files, group and tags.
    private static func parseFleet(_ node: Node, _ r: Reader, _ f: inout FleetSettings) throws {
        let m = try r.mapping(node, "fleet")
        try r.checkKeys(m, "fleet.", allowed: ["server", "token_file", "ca_file", "group", "tags", "poll_interval"])
        if let v = m["server"] {
            let url = try r.string(v, "fleet.server")
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ConfigError(option: "fleet.server", "must be an http:// or https:// URL", file: r.file)
            }
            f.server = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        if let v = m["token_file"] { f.tokenFile = try r.string(v, "fleet.token_file") }
        if let v = m["ca_file"] { f.caFile = try r.string(v, "fleet.ca_file") }
        if let v = m["group"] {
            let g = try r.string(v, "fleet.group")
            guard FleetNames.valid(g) else { throw ConfigError(option: "fleet.group", FleetNames.rule, file: r.file) }
            f.group = g
        }
        if let v = m["tags"] { f.tags = try r.list(v, "fleet.tags") }
        if let v = m["poll_interval"] {
            let s = try r.seconds(v, "fleet.poll_interval")
            guard s >= 1 && s <= 60 else { throw ConfigError(option: "fleet.poll_interval", "must be 1s...60s", file: r.file) }
            f.pollSeconds = s
        }
    }

    /// `services:`: `defaults` and `overrides` (keyed by service id `10.0.0.5:443/tcp` or by port
    /// `443/tcp`) of the service-state thresholds; an override starts from the defaults.
    private static func parseServices(_ node: Node, _ r: Reader, _ set: inout ServiceThresholdSet) throws {
        let m = try r.mapping(node, "services")
        try r.checkKeys(m, "services.", allowed: ["defaults", "overrides"])
        if let v = m["defaults"] { set.defaults = try thresholds(v, r, "services.defaults", base: ServiceThresholds()) }
        if let v = m["overrides"] {
            set.services = [:]
            set.ports = [:]
            for (key, value) in try r.mapping(v, "services.overrides") {
                let opt = "services.overrides.\(key)"
                let t = try thresholds(value, r, opt, base: set.defaults)
                guard let slash = key.lastIndex(of: "/"), ["tcp", "udp"].contains(key[key.index(after: slash)...]) else {
                    throw ConfigError(option: opt, "the key must be a service id ADDRESS:PORT/tcp|udp or a port PORT/tcp|udp", file: r.file)
                }
                let head = key[..<slash]
                if let port = UInt16(head), port > 0 {
                    set.ports[key] = t
                } else if let colon = head.lastIndex(of: ":"), UInt16(head[head.index(after: colon)...]) != nil, colon > head.startIndex {
                    set.services[key] = t
                } else {
                    throw ConfigError(option: opt, "the key must be a service id ADDRESS:PORT/tcp|udp or a port PORT/tcp|udp", file: r.file)
                }
            }
        }
    }

    private static func thresholds(_ node: Node, _ r: Reader, _ prefix: String, base: ServiceThresholds) throws -> ServiceThresholds {
        let m = try r.mapping(node, prefix)
        try r.checkKeys(m, prefix + ".", allowed: ["min_evidence", "max_error_rate", "max_rtt_p95", "max_response_p95", "idle_windows",
                                                    "windows_to_degrade", "windows_to_fail", "windows_to_recover", "windows_degraded_to_up"])
        var t = base
        func count(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let v = m[key] else { return nil }
            guard let n = Int(try r.string(v, "\(prefix).\(key)")), range.contains(n) else {
                throw ConfigError(option: "\(prefix).\(key)", "must be a whole number from \(range.lowerBound) to \(range.upperBound)", file: r.file)
            }
            return n
        }
        func nanos(_ key: String) throws -> Int64? {
            guard let v = m[key] else { return nil }
            let s = try r.seconds(v, "\(prefix).\(key)")
            guard s > 0 && s <= 3600 else { throw ConfigError(option: "\(prefix).\(key)", "must be more than 0 and at most 1h", file: r.file) }
            return Int64(s * 1e9)
        }
        if let n = try count("min_evidence", 1...1_000_000) { t.minEvidence = n }
        if let v = m["max_error_rate"] {
            guard let x = Double(try r.string(v, "\(prefix).max_error_rate")), x >= 0, x <= 1 else {
                throw ConfigError(option: "\(prefix).max_error_rate", "must be a number from 0 to 1", file: r.file)
            }
            t.maxErrorRate = x
        }
        if let n = try nanos("max_rtt_p95") { t.maxRTTP95Nanos = n }
        if let n = try nanos("max_response_p95") { t.maxResponseP95Nanos = n }
        if let n = try count("idle_windows", 1...10_000) { t.idleWindows = n }
        if let n = try count("windows_to_degrade", 1...1_000) { t.windowsToDegrade = n }
        if let n = try count("windows_to_fail", 1...1_000) { t.windowsToFail = n }
        if let n = try count("windows_to_recover", 1...1_000) { t.windowsToRecover = n }
        if let n = try count("windows_degraded_to_up", 1...1_000) { t.windowsDegradedToUp = n }
        return t
    }

    /// `recordings:`, a list of planned recordings (docs/recordings.md); each item is validated
    /// (filter compiles, index fields known, end after start, quota within the free disk) and an
    /// error names it as `recordings[N].KEY`.
    private static func parseRecordings(_ node: Node, _ r: Reader, store: String?) throws -> [RecordingDefinition] {
        guard case .sequence(let seq) = node else { throw ConfigError(option: "recordings", "must be a list", file: r.file) }
        var out: [RecordingDefinition] = []
        for (k, item) in seq.enumerated() {
            let p = "recordings[\(k)]"
            let m = try r.mapping(item, p)
            try r.checkKeys(m, p + ".", allowed: RecordingInput.keys)
            var i = RecordingInput()
            if let v = m["id"] { i.id = try r.string(v, p + ".id") }
            if let v = m["start"] { i.start = try r.string(v, p + ".start") }
            if let v = m["end"] { i.end = try r.string(v, p + ".end") }
            if let v = m["repeat"] { i.repeatText = try r.string(v, p + ".repeat") }
            if let v = m["filter"] { i.filter = try r.string(v, p + ".filter") }
            if let v = m["snaplen"] { i.snaplen = try r.string(v, p + ".snaplen") }
            if let v = m["index_fields"] { i.indexFields = try r.list(v, p + ".index_fields") }
            if let v = m["quota"] { i.quota = try r.string(v, p + ".quota") }
            if let v = m["retention"] { i.retention = try r.string(v, p + ".retention") }
            let d = try i.validated(prefix: p + ".", store: store, file: r.file)
            guard !out.contains(where: { $0.id == d.id }) else { throw ConfigError(option: p + ".id", "'\(d.id)' is used twice", file: r.file) }
            out.append(d)
        }
        return out
    }

    private static func parseAPI(_ node: Node, _ r: Reader, _ api: inout ListenerSettings) throws {
        let m = try r.mapping(node, "api")
        try r.checkKeys(m, "api.", allowed: ["tokens_file", "tls_cert", "tls_key", "tls_client_ca", "require_client_cert",
                                             "insecure_listen", "max_connections", "header_timeout", "idle_timeout"])
        if let v = m["tokens_file"] { api.tokensFile = try r.string(v, "api.tokens_file") }
        if let v = m["tls_cert"] { api.tlsCertificate = try r.string(v, "api.tls_cert") }
        if let v = m["tls_key"] { api.tlsKey = try r.string(v, "api.tls_key") }
        if let v = m["tls_client_ca"] { api.tlsClientCA = try r.string(v, "api.tls_client_ca") }
        if let v = m["require_client_cert"] { api.requireClientCertificate = try r.bool(v, "api.require_client_cert") }
        if let v = m["insecure_listen"] { api.insecureListen = try r.bool(v, "api.insecure_listen") }
        if let v = m["max_connections"] {
            guard let n = Int(try r.string(v, "api.max_connections")), (1...16_384).contains(n) else {
                throw ConfigError(option: "api.max_connections", "must be 1...16384", file: r.file)
            }
            api.maxConnections = n
        }
        if let v = m["header_timeout"] { api.headerTimeoutSeconds = try r.positiveSeconds(v, "api.header_timeout") }
        if let v = m["idle_timeout"] { api.idleTimeoutSeconds = try r.positiveSeconds(v, "api.idle_timeout") }
    }

    /// `pins:` (docs/pins.md); relations with `storage:` are checked by ``PinConfig/validate(storage:)``.
    private static func parsePins(_ node: Node, _ r: Reader, _ p: inout PinConfig) throws {
        let m = try r.mapping(node, "pins")
        try r.checkKeys(m, "pins.", allowed: ["enabled", "before", "after", "quota", "states"])
        if let v = m["enabled"] { p.enabled = try r.bool(v, "pins.enabled") }
        if let v = m["before"] { p.beforeSeconds = try r.seconds(v, "pins.before") }
        if let v = m["after"] { p.afterSeconds = try r.seconds(v, "pins.after") }
        if let v = m["quota"] {
            let t = try r.string(v, "pins.quota").trimmingCharacters(in: .whitespaces)
            if t.hasSuffix("%") {
                guard let pct = Double(t.dropLast().trimmingCharacters(in: .whitespaces)), pct > 0, pct <= 100 else {
                    throw ConfigError(option: "pins.quota", "'\(t)' is not a percentage of storage.quota (more than 0%, at most 100%)", file: r.file)
                }
                p.quota = .percent(pct)
            } else {
                p.quota = .bytes(try r.bytes(v, "pins.quota"))
            }
        }
        if let v = m["states"] {
            let states = try r.list(v, "pins.states").map { $0.uppercased() }
            for s in states where !PinConfig.stateNames.contains(s) {
                throw ConfigError(option: "pins.states", "'\(s)' is not one of \(PinConfig.stateNames.sorted().joined(separator: ", "))", file: r.file)
            }
            p.states = states
        }
    }

    /// Typed accessors that throw `ConfigError` naming the option.
    private struct Reader {
        let file: String?

        func mapping(_ n: Node, _ opt: String) throws -> [String: Node] {
            guard case .mapping(let m) = n else { throw ConfigError(option: opt, "must be a mapping", file: file) }
            var out = [String: Node]()
            for (k, v) in m {
                guard let key = k.string else { throw ConfigError(option: opt, "keys must be strings", file: file) }
                out[key] = v
            }
            return out
        }

        func checkKeys(_ m: [String: Node], _ prefix: String, allowed: Set<String>) throws {
            for k in m.keys.sorted() where !allowed.contains(k) {
                throw ConfigError(option: prefix + k, "unknown option (known: \(allowed.sorted().joined(separator: ", ")))", file: file)
            }
        }

        func string(_ n: Node, _ opt: String) throws -> String {
            guard case .scalar(let s) = n else { throw ConfigError(option: opt, "must be a string", file: file) }
            return s.string
        }

        /// A YAML list of strings, or one comma-separated string; items trimmed, empty ones dropped.
        func list(_ n: Node, _ opt: String) throws -> [String] {
            switch n {
            case .sequence(let seq): return try seq.map { try string($0, opt) }
            default: return try string(n, opt).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            }
        }

        func bool(_ n: Node, _ opt: String) throws -> Bool {
            guard let b = n.bool else { throw ConfigError(option: opt, "must be true or false", file: file) }
            return b
        }

        func bytes(_ n: Node, _ opt: String) throws -> UInt64 {
            let s = try string(n, opt)
            guard let v = Units.bytes(s) else { throw ConfigError(option: opt, "'\(s)' is not a size (e.g. 256MiB)", file: file) }
            return v
        }

        func positiveSeconds(_ n: Node, _ opt: String) throws -> Double {
            let v = try seconds(n, opt)
            guard v > 0, v <= 86_400 else { throw ConfigError(option: opt, "must be more than 0 and at most 1 day", file: file) }
            return v
        }

        func seconds(_ n: Node, _ opt: String) throws -> Double {
            let s = try string(n, opt)
            guard let v = Units.seconds(s) else { throw ConfigError(option: opt, "'\(s)' is not a duration (e.g. 60s, 15m; at most \(Int(Units.maxSeconds)) s)", file: file) }
            return v
        }
    }
}
