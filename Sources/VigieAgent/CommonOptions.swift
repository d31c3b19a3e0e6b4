import Agent
import ArgumentParser
import Foundation
import Logging

/// Options shared by the commands that write a store; each overrides the YAML config.
struct StoreWriteOptions: ParsableArguments {
    @Option(name: .long, help: "Store directory (config: store).")
    var store: String?

    @Option(name: .long, help: "YAML configuration file (see docs/configuration.md).")
    var config: String?

    @Option(name: .customLong("segment-size"), help: "Rotate segments at this size, e.g. 256MiB (config: storage.segment_size).")
    var segmentSize: String?

    @Option(name: .customLong("segment-duration"), help: "Rotate segments after this much time, e.g. 60s (config: storage.segment_duration).")
    var segmentDuration: String?

    @Option(name: .long, help: "ring or linear (config: storage.retention).")
    var retention: String?

    @Option(name: .long, help: "Most bytes the store may use, e.g. 10GiB (config: storage.quota).")
    var quota: String?

    @Option(name: .customLong("max-age"), help: "Ring mode: delete segments older than this, e.g. 7d (config: storage.max_age).")
    var maxAge: String?

    @Option(name: .customLong("flush-interval"), help: "Write buffered packets at least this often, e.g. 1s (config: storage.flush_interval).")
    var flushInterval: String?

    @Option(name: .long, help: "BPF expression selecting the packets to store (config: capture.prefilter).")
    var prefilter: String?

    @Option(name: .customLong("index-fields"), help: "Fields to index, comma-separated: default, all, addresses, ports, proto, vlan, tunnels, mac, dns.qname, http.host, tls.sni (config: index.fields).")
    var indexFields: String?

    @Flag(name: .customLong("no-index"), help: "Do not index the stored packets (config: index.enabled: false).")
    var noIndex = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (config: logging.level).")
    var logLevel: String?

    @Option(name: .customLong("stats-interval"), help: "How often to log counters, e.g. 60s (config: logging.stats_interval).")
    var statsInterval: String?

    @Flag(name: .customLong("no-analytics"), help: "Do not track flows nor write records (config: analytics.enabled: false).")
    var noAnalytics = false

    @Option(name: .customLong("edge-interval"), help: "Length of the dependency-edge windows, e.g. 10s: the finest step of the server's metric history (config: analytics.edge_interval; default 60s).")
    var edgeInterval: String?

    @Option(name: .customLong("agent-id"), help: "This agent's name in every record (config: agent_id; default: host name).")
    var agentID: String?

    @Option(name: .customLong("kafka"), help: "Export records to this Kafka cluster, host:port[,...] (config: export.kafka.bootstrap_servers).")
    var kafka: String?

    @Option(name: .customLong("http-export"), help: "Export records to this HTTP endpoint (config: export.http.url).")
    var httpExport: String?

    @Option(name: .customLong("http-token"), help: "Bearer token for --http-export (config: export.http.token). Visible in ps: prefer --http-token-file.")
    var httpToken: String?

    @Option(name: .customLong("http-ca-file"), help: "CA bundle (PEM) verifying --http-export's server certificate (config: export.http.ca_file).")
    var httpCAFile: String?

    @Option(name: .customLong("http-token-file"), help: "File holding the bearer token for --http-export, whitespace trimmed (config: export.http.token_file).")
    var httpTokenFile: String?

    /// The config file merged with the flags, validated.
    func resolve() throws -> AgentConfig {
        var c = try config.map { try ConfigLoader.load(path: $0) } ?? AgentConfig()
        if let store { c.store = store }
        if let v = segmentSize { c.storage.segmentBytes = try parseBytes(v, "--segment-size") }
        if let v = segmentDuration { c.storage.segmentSeconds = try parseSeconds(v, "--segment-duration") }
        if let v = retention {
            guard let m = RetentionMode(rawValue: v) else { throw ConfigError(option: "--retention", "'\(v)' is not ring or linear") }
            c.storage.retention = m
        }
        if let v = quota { c.storage.quotaBytes = try parseBytes(v, "--quota") }
        if let v = maxAge { c.storage.maxAgeSeconds = try parseSeconds(v, "--max-age") }
        if let v = flushInterval { c.storage.flushSeconds = try parseSeconds(v, "--flush-interval") }
        if let v = prefilter { c.capture.prefilter = v }
        if let v = indexFields { c.index.fields = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if noIndex { c.index.enabled = false }
        _ = try c.index.fieldSet()
        if let v = logLevel { c.logging.level = v }
        if let v = statsInterval { c.logging.statsSeconds = try parseSeconds(v, "--stats-interval") }
        if noAnalytics { c.analytics.enabled = false }
        if let v = edgeInterval {
            c.analytics.edgeIntervalSeconds = try parseSeconds(v, "--edge-interval")
            guard c.analytics.edgeIntervalSeconds >= c.analytics.windowSeconds else {
                throw ConfigError(option: "--edge-interval", "must be at least analytics.window (\(c.analytics.windowSeconds) s)")
            }
        }
        if let v = agentID { c.agentID = v }
        if let v = kafka { c.export.kafkaBootstrap = v }
        if let v = httpExport {
            guard v.hasPrefix("http://") || v.hasPrefix("https://") else {
                throw ConfigError(option: "--http-export", "'\(v)' is not an http:// or https:// URL")
            }
            c.export.httpURL = v
        }
        if let v = httpToken {
            c.export.httpToken = v
            c.export.httpTokenFile = nil  // the flag overrides a token file of the config
        }
        if let v = httpCAFile { c.export.httpCAFile = v }
        if let v = httpTokenFile {
            c.export.httpToken = try ConfigLoader.token(fromFile: v, option: "--http-token-file")
            c.export.httpTokenFile = v
        }
        guard c.store != nil else { throw ConfigError(option: "--store", "a store directory is required (flag or config 'store')") }
        guard Logger.Level(rawValue: c.logging.level) != nil else {
            throw ConfigError(option: "logging.level", "'\(c.logging.level)' is not a log level")
        }
        try c.storage.validate()
        try c.pins.validate(storage: c.storage)
        return c
    }
}

func parseBytes(_ v: String, _ option: String) throws -> UInt64 {
    guard let b = Units.bytes(v) else { throw ConfigError(option: option, "'\(v)' is not a size (e.g. 256MiB)") }
    return b
}

func parseSeconds(_ v: String, _ option: String) throws -> Double {
    guard let s = Units.seconds(v) else {
        throw ConfigError(option: option, "'\(v)' is not a duration (e.g. 60s, 15m; at most \(Int(Units.maxSeconds)) s)")
    }
    return s
}

func parseTime(_ v: String?, _ option: String) throws -> Int64? {
    guard let v else { return nil }
    do throws(TimeParser.Failure) {
        return try TimeParser.value(v)
    } catch {
        throw ConfigError(option: option, error.description)
    }
}

/// Logger writing to stderr at the configured level.
func makeLogger(_ level: String, label: String = "vigie.agent") -> Logger {
    LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
    var l = Logger(label: label)
    l.logLevel = Logger.Level(rawValue: level) ?? .info
    return l
}

/// Prints `error: ...` to stderr and exits non-zero: the one way commands report bad input.
func fail(_ message: String, code: Int32 = 1) -> ExitCode {
    FileHandle.standardError.write(Data(("vigie-agent: error: " + message + "\n").utf8))
    return ExitCode(code)
}

func humanBytes(_ b: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(b)
    var i = 0
    while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
    return i == 0 ? "\(b) B" : String(format: "%.1f %@", v, units[i])
}
