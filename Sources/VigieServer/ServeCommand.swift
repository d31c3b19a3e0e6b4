import ArgumentParser
import Correlation
import Foundation
import HTTPListener
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Observability
import ServerHTTP
import ServiceLifecycle
import SystemIO

/// `vigie-server serve`: the HTTP API (Schemas/server-api.yaml) over a data directory.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the correlation API (Schemas/server-api.yaml).")

    @Option(name: .long, help: "Address to listen on, HOST:PORT. Other than loopback: TLS and a token file are required, and every route needs a token (docs/security.md).")
    var listen: String = "127.0.0.1:8480"

    @OptionGroup var listener: ListenerOptions
    @OptionGroup var search: SearchOptions

    @Option(name: .long, help: "Data directory (SQLite database vigie-server.sqlite). Not used with --database.")
    var data: String?

    @Option(name: .long, help: "PostgreSQL URL (postgresql://USER[:PASSWORD]@HOST[:PORT]/DB) instead of SQLite: server instances sharing one Kafka consumer group share it.")
    var database: String?

    @Option(name: .customLong("database-wait"), help: "Seconds to wait at start for --database to accept connections (restarting, not up yet) before giving up.")
    var databaseWait: Double = 60

    @Option(name: .long, help: "Inventory YAML: replaces the stored inventory at start.")
    var inventory: String?

    @Option(name: .customLong("token"), help: "AGENT=TOKEN: the bearer token of an agent (repeatable; visible in ps: prefer --token-file's 'agent' lines). None at all: ingest is not authenticated (loopback only).")
    var tokens: [String] = []

    @Option(name: .customLong("operator-token"), help: "Bearer token of operators (repeatable): required to change state (inventory, maintenance, acks, dependencies). None: those endpoints are open.")
    var operatorTokens: [String] = []

    @Option(name: .customLong("read-token"), help: "Bearer token that may only read (repeatable). Given: every read needs a read or operator token; none: reads are open.")
    var readTokens: [String] = []

    @Option(name: .customLong("stale-after"), help: "Seconds without any record after which an agent's views are UNKNOWN.")
    var staleAfter: Double = 180

    @Option(name: .customLong("agent-rate-limit"), help: "Records per second an authenticated agent may send over HTTP on average (bursts of 10 s); above it, 429 with Retry-After. 0: no limit.")
    var agentRateLimit: Double = 20_000

    @Option(name: .customLong("max-body"), help: "Largest request body in bytes (413 above).")
    var maxBody: Int = 16 * 1024 * 1024

    @Option(name: .customLong("max-record-bytes"), help: "Longest ingested record line in bytes: longer lines are malformed (400, not applied).")
    var maxRecordBytes: Int = 64 * 1024

    @Option(name: .customLong("tick"), help: "Seconds between re-evaluations of staleness and maintenance windows.")
    var tick: Double = 5

    @Option(name: .customLong("kafka"), help: "Also consume the agents' records from this Kafka cluster, host:port[,...], as a consumer-group member.")
    var kafka: String?

    @Option(name: .customLong("kafka-group"), help: "Consumer group (server instances sharing the work use the same).")
    var kafkaGroup: String = "vigie-server"

    @Option(name: .customLong("kafka-topics"), help: "Comma-separated topics (default: the agents' vigie.conn, vigie.txn, vigie.edge, vigie.service_state, vigie.service_seen, vigie.agent_health, vigie.pin).")
    var kafkaTopics: String?

    @Option(name: .customLong("kafka-property"), help: "KEY=VALUE: a librdkafka consumer property (repeatable), e.g. session.timeout.ms=10000.")
    var kafkaProperties: [String] = []

    @Option(name: .customLong("events-kafka-topic"), help: "Also produce every node state change to this Kafka topic (JSON as the SSE data, key = node id).")
    var eventsKafkaTopic: String?

    @Option(name: .customLong("events-kafka"), help: "Kafka cluster of --events-kafka-topic, host:port[,...] (default: --kafka's).")
    var eventsKafka: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @Option(name: .customLong("drilldown-allow"), help: "CIDR (repeatable): networks where the server may call agents' query APIs for drill-down, e.g. 10.20.0.0/16. None: drill-down is disabled.")
    var drilldownAllow: [String] = []

    @Option(name: .customLong("drilldown-agent"), help: "AGENT or AGENT=URL (repeatable): an agent drill-down may call although it has no --token (e.g. one that reports through Kafka); URL (http(s)://HOST:PORT) replaces the query API it announces.")
    var drilldownAgents: [String] = []

    @Option(name: .customLong("drilldown-token-file"), help: "File holding the bearer token the server sends to agents' query APIs (whitespace trimmed).")
    var drilldownTokenFile: String?

    @Option(name: .customLong("drilldown-ca"), help: "CA bundle (PEM) verifying the agents' query API certificates.")
    var drilldownCA: String?

    @Option(name: .customLong("drilldown-cert"), help: "Client certificate (PEM) presented to the agents' query APIs (mutual TLS); needs --drilldown-key.")
    var drilldownCert: String?

    @Option(name: .customLong("drilldown-key"), help: "Private key (PEM) of --drilldown-cert.")
    var drilldownKey: String?

    @Flag(name: .customLong("drilldown-https-only"), help: "Refuse http:// query APIs.")
    var drilldownHTTPSOnly = false

    @Option(name: .customLong("drilldown-timeout"), help: "Seconds one agent may take to answer a drill-down (connect: 5 s at most).")
    var drilldownTimeout: Double = 60

    @Option(name: .customLong("drilldown-max-bytes"), help: "Largest answer accepted from one agent, in bytes (the transfer is aborted above).")
    var drilldownMaxBytes: Int = 256 << 20

    @Option(name: .customLong("drilldown-concurrency"), help: "Agent fetches in flight at once for all drill-downs (503 + Retry-After above).")
    var drilldownConcurrency: Int = 8

    @Option(name: .customLong("history-retention"), help: "SCALE=DURATION (repeatable): how long the metric history keeps a scale (10s, 1m, 15m, 1h), e.g. 10s=2d, 1h=730d; units s, m, h, d. Defaults: 10s=2d, 1m=14d, 15m=90d, 1h=730d.")
    var historyRetention: [String] = []

    @Flag(name: .customLong("no-history"), help: "Keep no metric history (edge windows still feed the dependency map).")
    var noHistory = false

    @Option(name: .long, help: "Notification rules and receivers (YAML, docs/notifications.md). A bad file stops the server at start.")
    var notifications: String?

    @Option(name: .customLong("notify-allow"), help: "CIDR (repeatable): networks notification receivers may be in (with the file's 'allow:'). None: loopback only.")
    var notifyAllow: [String] = []

    func run() async throws {
        let (host, port) = try parseListen(listen)
        var tokenMap: [String: String] = [:]
        for t in tokens {
            guard let eq = t.firstIndex(of: "="), eq != t.startIndex, t.index(after: eq) != t.endIndex else {
                throw ValidationError("--token: '\(t)' is not AGENT=TOKEN")
            }
            tokenMap[String(t[t.index(after: eq)...])] = String(t[..<eq])
        }
        let access = try operatorAccess(agentTokens: Set(tokenMap.keys))
        let eventsBootstrap = try eventsKafkaBootstrap()
        var inv: Inventory?
        if let path = inventory {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw ValidationError("--inventory: \(path): \(error.localizedDescription)") }
            do { inv = try Inventory.parse(yaml: text) } catch { throw ValidationError("--inventory: \(path): \(error)") }
        }
        var logger = Logger(label: "vigie.server")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        if tokenMap.isEmpty { logger.warning("no --token: ingest accepts unauthenticated records") }
        if access.operatorTokens.isEmpty { logger.warning("no --operator-token: anyone can edit the inventory, maintenance and acknowledgements") }
        signal(SIGPIPE, SIG_IGN)
        var config = CorrelatorConfig()
        config.agentStaleAfter = staleAfter
        config.history = try historyConfig()
        let correlator: Correlator
        // The notification tables live in the same database (PostgreSQL: on a connection of their own).
        var notificationStore: (() throws -> any NotificationStorage)?
        // The fleet registry's tables too (docs/fleet.md).
        var fleetStore: (() throws -> any FleetStorage)?
        switch (database, data) {
        case (let url?, _):
            guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
                throw ValidationError("--database: '\(url)' is not a postgresql:// URL")
            }
            guard databaseWait >= 0 && databaseWait <= 86_400 else { throw ValidationError("--database-wait: must be 0...86400 seconds") }
            // A database restarting (or starting with this host) is waited for, not a reason to exit.
            let giveUp = Date().addingTimeInterval(databaseWait)
            var delay = 0.5
            while true {
                do {
                    let pg = try PostgresStore(url: url)
                    correlator = try Correlator(config: config, store: pg, inventory: inv, replaceStoredInventory: inv != nil)
                    notificationStore = { try pg.notificationStore() }
                    fleetStore = { try pg.fleetStore() }
                    break
                } catch let e as PostgresError where e.isRetriable && Date() < giveUp {
                    logger.warning("database not reachable yet; retrying", metadata: ["error": "\(e)", "retry_in_s": "\(delay)"])
                    try await Task.sleep(nanoseconds: UInt64(delay * 1e9))
                    delay = min(delay * 2, 5)
                } catch let e as PostgresError {
                    throw ValidationError("--database: \(e)")
                }
            }
        case (nil, let dir?):
            let sqlite = try SQLiteStore(directory: dir)
            correlator = try Correlator(config: config, store: sqlite, inventory: inv, replaceStoredInventory: inv != nil)
            notificationStore = { sqlite }
            fleetStore = { sqlite }
        case (nil, nil):
            throw ValidationError("give --data DIR (SQLite) or --database postgresql://… (PostgreSQL)")
        }
        var apiConfig = ServerAPIConfig(tokens: tokenMap)
        apiConfig.metrics = ProcessMetrics.server
        apiConfig.access = access
        apiConfig.maxBodyBytes = maxBody
        guard (1_024...16 * 1024 * 1024).contains(maxRecordBytes) else { throw ValidationError("--max-record-bytes: must be 1024...16777216") }
        apiConfig.maxRecordBytes = maxRecordBytes
        let listenerConfig: ListenerConfig
        do { (listenerConfig, apiConfig.tokenStore) = try listener.resolve(host: host, port: port) } catch { throw ValidationError("\(error)") }
        if apiConfig.tokenStore.count(.drilldown) > 0 {
            throw ValidationError("--token-file: the server's file takes 'agent', 'read' and 'operator' tokens; the drill-down token goes in --drilldown-token-file")
        }
        if !tokens.isEmpty || !operatorTokens.isEmpty || !readTokens.isEmpty {
            logger.warning("tokens given on the command line are visible to every local user (ps, /proc/PID/cmdline); use --token-file")
        }
        apiConfig.drillDown = try drillDownConfig(listenHost: host, listenPort: port)
        apiConfig.search = try search.config()
        if apiConfig.drillDown.enabled && apiConfig.drillDown.token == nil {
            logger.warning("drill-down without --drilldown-token-file: agents' query APIs are called without a credential")
        }
        let notifying = try notificationSetup(correlator: correlator, store: notificationStore, metrics: apiConfig.metrics, listen: listen, logger: logger)
        apiConfig.notifications = notifying?.0
        do {
            let fleet = try FleetRegistry(store: fleetStore?())
            apiConfig.fleet = fleet
            apiConfig.search.use(fleet: fleet)
        } catch { throw ValidationError("the fleet registry could not be read: \(error)") }
        guard agentRateLimit >= 0 else { throw ValidationError("--agent-rate-limit: must be >= 0") }
        if agentRateLimit > 0 { apiConfig.rateLimiter = IngestRateLimiter(recordsPerSecond: agentRateLimit) }
        var services: [any Service] = []
        if let topic = eventsKafkaTopic, let eventsBootstrap {
            // First in the group: shut down last, after ingest, so that its last changes are sent.
            let stats = StateEventKafkaStats()
            services.append(try StateEventKafkaService(correlator: correlator, bootstrapServers: eventsBootstrap, topic: topic,
                                                       stats: stats, logger: logger))
            let mirror = apiConfig.metrics.mirror
            apiConfig.metrics.exposition.onRender { stats.record(into: mirror) }
        }
        // Kafka ingest reports its batches, rewinds and group membership to /metrics and /readyz.
        let kafkaProgress = KafkaIngestProgress()
        if kafka != nil {
            let mirror = apiConfig.metrics.mirror, group = kafkaGroup
            apiConfig.metrics.exposition.onRender {
                let p = kafkaProgress.snapshot
                mirror.total("vigie_server_kafka_ingest_batches_total", p.batches)
                mirror.total("vigie_server_kafka_ingest_rewinds_total", p.rewinds)
                mirror.gauge("vigie_server_kafka_partitions_assigned", Double(p.partitions))
            }
            apiConfig.readinessChecks.append {
                kafkaProgress.snapshot.joined ? nil : "not (yet) a member of the Kafka consumer group '\(group)'"
            }
        }
        // systemd (Type=notify): READY=1 once the API is bound (the database is open by now); the
        // watchdog is pinged while the tick keeps completing: it goes through the async pool, the
        // blocking-work threads, the correlator's lock and the store writer, so it stops when any of
        // them is wedged, which a merely alive event loop would not show. Needs WatchdogSec > 2 × --tick.
        let notifier = SystemdNotifier(logger: logger)
        let heartbeat = WatchdogHeartbeat()
        let serving = "serving \(listen), database \(database == nil ? "SQLite" : "PostgreSQL")"
        let app: any Service
        do {
            app = ReadyNotifyingApplication(base: try ServerAPI.application(correlator: correlator, config: apiConfig, listener: listenerConfig, logger: logger)) {
                notifier.ready(status: serving)
            }
        } catch {
            throw ValidationError("\(error)")
        }
        let tokenStore = apiConfig.tokenStore, reloadLogger = logger
        let reload = HangupReload.install {
            do {
                try tokenStore.reload()
                reloadLogger.notice("token file re-read", metadata: ["file": "\(tokenStore.path ?? "-")", "agent": "\(tokenStore.count(.agent))",
                                                               "read": "\(tokenStore.count(.read))", "operator": "\(tokenStore.count(.operator))"])
            } catch {
                reloadLogger.error("token file not re-read; the previous tokens stay in force", metadata: ["error": "\(error)"])
            }
        }
        defer { reload.cancel() }
        let ticker = TickService(correlator: correlator, interval: tick, heartbeat: heartbeat)
        services += [app, ticker]
        if let service = notifying?.1 { services.append(service) }
        // Incident pins for applications (docs/pins.md): the agents that saw the root causes, through the drill-down's policy.
        if apiConfig.drillDown.enabled {
            services.append(ApplicationPinService(orders: ApplicationPinOrders(correlator: correlator, api: apiConfig, logger: logger)))
        }
        if let url = database {
            // Other instances' changes arrive through NOTIFY; read them before serving.
            try correlator.absorbSharedChanges()
            services.append(SharedStateSync(correlator: correlator, url: url, logger: logger))
        }
        if let kafka {
            let topics = kafkaTopics.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                ?? KafkaIngestService.defaultTopics
            services.append(KafkaIngestService(correlator: correlator, progress: kafkaProgress, bootstrapServers: kafka, groupID: kafkaGroup,
                                               topics: topics, properties: try parseProperties(kafkaProperties), logger: logger))
        }
        // Last: told first at shutdown, so STOPPING=1 goes out as the server begins to stop.
        services.append(WatchdogService(notifier: notifier, subject: "server tick", logger: logger,
                                        progress: { heartbeat.value }, status: { "\(serving), \(heartbeat.value) ticks" }))
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

extension ServeCommand {
    /// The `--drilldown-*` options, checked. Token files are read here (a token never appears on the command line).
    func drillDownConfig(listenHost: String, listenPort: Int) throws -> DrillDownConfig {
        var c = DrillDownConfig()
        for text in drilldownAllow {
            do throws(AddressRange.Invalid) { c.allow.append(try AddressRange(parsing: text)) } catch {
                throw ValidationError("--drilldown-allow: \(error)")
            }
        }
        for item in drilldownAgents {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first, !name.isEmpty else { throw ValidationError("--drilldown-agent: '\(item)' is not AGENT or AGENT=URL") }
            var url: String?
            if parts.count == 2 {
                url = String(parts[1])
                do throws(QueryAPI.Invalid) { _ = try QueryAPI.parse(String(parts[1])) } catch {
                    throw ValidationError("--drilldown-agent: '\(item)': the URL is refused: \(error)")
                }
            }
            c.declaredAgents[String(name)] = .some(url)
        }
        if let path = drilldownTokenFile {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ValidationError("--drilldown-token-file: \(path): \(error.localizedDescription)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty, token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw ValidationError("--drilldown-token-file: \(path): the token must be one word of printable ASCII")
            }
            c.token = token
        }
        for (option, path) in [("--drilldown-ca", drilldownCA), ("--drilldown-cert", drilldownCert), ("--drilldown-key", drilldownKey)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) { throw ValidationError("\(option): \(path) cannot be read") }
        }
        if (drilldownCert == nil) != (drilldownKey == nil) { throw ValidationError("--drilldown-cert and --drilldown-key go together") }
        c.caFile = drilldownCA
        c.certFile = drilldownCert
        c.keyFile = drilldownKey
        c.httpsOnly = drilldownHTTPSOnly
        guard drilldownTimeout.isFinite, drilldownTimeout > 0, drilldownTimeout <= 3600 else { throw ValidationError("--drilldown-timeout: 0 < seconds <= 3600") }
        c.timeoutSeconds = drilldownTimeout
        c.connectTimeoutSeconds = min(5, drilldownTimeout)
        guard drilldownMaxBytes > 0 else { throw ValidationError("--drilldown-max-bytes: must be > 0") }
        c.maxResponseBytes = drilldownMaxBytes
        guard drilldownConcurrency > 0 else { throw ValidationError("--drilldown-concurrency: must be > 0") }
        c.maxConcurrentFetches = drilldownConcurrency
        c.ownAddresses = [.init(host: listenHost, port: listenPort)]
        return c
    }

    /// The cluster of `--events-kafka-topic` (`--events-kafka`, else `--kafka`); nil without a topic.
    func eventsKafkaBootstrap() throws -> String? {
        if eventsKafka != nil && eventsKafkaTopic == nil { throw ValidationError("--events-kafka needs --events-kafka-topic") }
        guard let topic = eventsKafkaTopic else { return nil }
        guard !topic.isEmpty, topic.count <= 249, topic.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }),
              topic != ".", topic != ".." else {
            throw ValidationError("--events-kafka-topic: '\(topic)' is not a Kafka topic name (letters, digits, '.', '_', '-', at most 249)")
        }
        guard let bootstrap = eventsKafka ?? kafka, !bootstrap.isEmpty else {
            throw ValidationError("--events-kafka-topic needs a cluster: --events-kafka HOST:PORT or --kafka HOST:PORT")
        }
        return bootstrap
    }

    /// `--operator-token` and `--read-token`, checked: not empty, and no token in two roles (an
    /// agent's token must not open the operator endpoints, nor a read token writes).
    func operatorAccess(agentTokens: Set<String>) throws -> OperatorAccess {
        let access = OperatorAccess(operatorTokens: Set(operatorTokens), readTokens: Set(readTokens))
        for (option, tokens) in [("--operator-token", operatorTokens), ("--read-token", readTokens)] {
            if tokens.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) { throw ValidationError("\(option): a token cannot be empty") }
            if tokens.contains(where: agentTokens.contains) { throw ValidationError("\(option): a token is also an agent's --token; use distinct tokens") }
        }
        if !readTokens.isEmpty && operatorTokens.isEmpty {
            throw ValidationError("--read-token needs an --operator-token too (otherwise writes would be open while reads are closed)")
        }
        if !access.operatorTokens.isDisjoint(with: access.readTokens) {
            throw ValidationError("--read-token: a token is also an --operator-token; use distinct tokens")
        }
        return access
    }
}

/// Re-evaluates staleness and maintenance windows periodically; at shutdown, ends the event
/// streams so that open Server-Sent Events responses finish and the HTTP server can stop.
struct TickService: Service {
    let correlator: Correlator
    let interval: Double
    /// Bumped after each completed tick (systemd's watchdog watches it).
    var heartbeat = WatchdogHeartbeat()

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(nanoseconds: UInt64(max(interval, 0.1) * 1e9))
                // It may wait for a batch being written: off the async pool.
                _ = await BlockingWork.run { correlator.tick() }
                heartbeat.beat()
            }
        }
        correlator.closeSubscribers()
    }
}

/// The API application, telling `onRunning` once its socket is bound (Hummingbird calls
/// `onServerRunning` then); everything else is `base`'s.
struct ReadyNotifyingApplication<Base: ApplicationProtocol>: ApplicationProtocol {
    typealias Responder = Base.Responder
    let base: Base
    let onRunning: @Sendable () -> Void

    var responder: Base.Responder { get async throws { try await base.responder } }
    var server: HTTPServerBuilder { base.server }
    var eventLoopGroup: any EventLoopGroup { base.eventLoopGroup }
    var configuration: ApplicationConfiguration { base.configuration }
    var logger: Logger { base.logger }
    var services: [any Service] { base.services }
    var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { base.processesRunBeforeServerStart }

    @Sendable func onServerRunning(_ channel: any Channel) async {
        await base.onServerRunning(channel)
        onRunning()
    }
}

/// Parses `KEY=VALUE` options.
func parseProperties(_ items: [String]) throws -> [String: String] {
    var out: [String: String] = [:]
    for item in items {
        guard let eq = item.firstIndex(of: "="), eq != item.startIndex else { throw ValidationError("--kafka-property: '\(item)' is not KEY=VALUE") }
        out[String(item[..<eq])] = String(item[item.index(after: eq)...])
    }
    return out
}

/// Parses `HOST:PORT` (IPv6 as `[::1]:PORT`).
func parseListen(_ s: String) throws -> (String, Int) {
    guard let (host, port) = parseListenAddress(s) else { throw ValidationError("--listen: '\(s)' is not HOST:PORT") }
    return (host, port)
}
