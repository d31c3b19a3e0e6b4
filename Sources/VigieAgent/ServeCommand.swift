import Agent
import AgentHTTP
import ArgumentParser
import Foundation
import HTTPListener
import Logging
import ServiceLifecycle
import SystemIO

/// `vigie-agent serve`: the HTTP query API over a store (also started by `capture --listen`).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the HTTP query API of a store (Schemas/agent-api.yaml).")

    @Option(name: .long, help: "Store directory (config: store).")
    var store: String?

    @Option(name: .long, help: "YAML configuration file: its store and api: sections (see docs/configuration.md).")
    var config: String?

    @Option(name: .long, help: "Address to listen on, HOST:PORT (default 127.0.0.1:8470). Other than loopback, TLS and a token file or client CA are required (docs/security.md).")
    var listen: String = "127.0.0.1:8470"

    @OptionGroup var api: ListenerOptions

    @Option(name: .customLong("metrics-listen"), help: "Also serve /metrics, /healthz and /readyz alone on PORT (loopback, no credential) or HOST:PORT (config: metrics_listen).")
    var metricsListen: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        let (host, port): (String, Int)
        let listener: ListenerConfig, access: AgentAccess, storePath: String, settings: AgentConfig
        do {
            (host, port) = try parseListen(listen)
            settings = try config.map(ConfigLoader.load) ?? AgentConfig()
            guard let s = store ?? settings.store else { throw ConfigError(option: "--store", "a store is required (flag or config store)") }
            storePath = s
            (listener, access) = try api.agentAPI(host: host, port: port, settings: settings.api)
        } catch { throw fail("\(error)") }
        guard FileSystem.isDirectory(StoreLayout(root: storePath).catalogDirectory) else {
            throw fail("\(storePath): not a Vigie store (no catalog/ directory)")
        }
        signal(SIGPIPE, SIG_IGN)
        let logger = makeLogger(logLevel)
        var services: [any Service] = []
        do {
            let app = try AgentAPI.application(store: storePath, listener: listener, access: access, metrics: ProcessMetrics.agent,
                                               readiness: .storeReadable, logger: logger)
            services.append(ListenerStartup(app, option: "--listen", address: listen))
            if let address = metricsListen ?? settings.metricsListen {
                services.append(try api.metricsService(address: address, settings: settings.api, store: storePath, metrics: ProcessMetrics.agent,
                                                       readiness: .storeReadable, logger: logger))
            }
        } catch { throw fail("\(error)") }
        let reload = reloadTokensOnHangup(access, logger: logger)
        defer { reload.cancel() }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Re-reads the API's token file on SIGHUP; a bad file is logged and the previous tokens stay.
func reloadTokensOnHangup(_ access: AgentAccess, logger: Logger) -> any DispatchSourceSignal {
    HangupReload.install {
        do {
            try access.tokens.reload()
            logger.notice("token file re-read", metadata: ["file": "\(access.tokens.path ?? "-")", "read": "\(access.tokens.count(.read))",
                                                           "drilldown": "\(access.tokens.count(.drilldown))"])
        } catch {
            logger.error("token file not re-read; the previous tokens stay in force", metadata: ["error": "\(error)"])
        }
    }
}

/// Parses `HOST:PORT` (IPv6 as `[::1]:PORT`).
func parseListen(_ s: String) throws -> (String, Int) {
    guard let (host, port) = parseListenAddress(s) else { throw ConfigError(option: "--listen", "'\(s)' is not HOST:PORT") }
    return (host, port)
}
