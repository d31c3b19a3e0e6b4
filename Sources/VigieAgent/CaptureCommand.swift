import Agent
import AgentHTTP
import ArgumentParser
import Fleet
import Foundation
import HTTPListener
import Logging
import Observability
import PcapKit
import ServiceLifecycle

/// `vigie-agent capture`: live capture until SIGINT/SIGTERM.
struct CaptureCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Capture an interface into the store until SIGINT/SIGTERM."
    )

    @OptionGroup var options: StoreWriteOptions

    @Option(name: .long, help: "Interface to capture (config: capture.interface).")
    var interface: String?

    @Option(name: .long, help: "Bytes kept per packet, default 262144 (config: capture.snaplen).")
    var snaplen: Int32?

    @Option(name: .customLong("buffer-size"), help: "Kernel capture buffer, default 64MiB (config: capture.buffer_size).")
    var bufferSize: String?

    @Flag(name: .customLong("no-promiscuous"), help: "Do not put the interface in promiscuous mode.")
    var noPromiscuous = false

    @Option(name: .long, help: "Also serve the HTTP query API on HOST:PORT (e.g. 127.0.0.1:8470); other than loopback, TLS and a token file or client CA are required (docs/security.md).")
    var listen: String?

    @OptionGroup var api: ListenerOptions

    @Option(name: .customLong("metrics-listen"), help: "Also serve /metrics, /healthz and /readyz alone on PORT (loopback, no credential) or HOST:PORT (then TLS and a token file or client CA, as --listen) (config: metrics_listen).")
    var metricsListen: String?

    @Option(name: .customLong("advertise-api"), help: "URL at which the server reaches the query API, announced in agent_health for drill-down (config: query_api_url; default http://LISTEN).")
    var advertise: String?

    func run() async throws {
        var config: AgentConfig
        do {
            config = try options.resolve()
            if let interface { config.capture.interface = interface }
            if let snaplen {
                guard (64...262_144).contains(snaplen) else { throw ConfigError(option: "--snaplen", "must be 64...262144") }
                config.capture.snaplen = snaplen
            }
            if let bufferSize { config.capture.bufferBytes = try parseBytes(bufferSize, "--buffer-size") }
            if noPromiscuous { config.capture.promiscuous = false }
            if let metricsListen { config.metricsListen = metricsListen }
            guard config.capture.interface != nil else {
                throw ConfigError(option: "--interface", "an interface is required (flag or config capture.interface)")
            }
            if let advertise {
                guard advertise.hasPrefix("http://") || advertise.hasPrefix("https://") else {
                    throw ConfigError(option: "--advertise-api", "'\(advertise)' is not an http:// or https:// URL")
                }
                config.queryAPIURL = advertise
            }
            // Announce the API for drill-down when it listens on a specific address.
            if config.queryAPIURL == nil, let listen, let (host, port) = try? parseListen(listen),
               !["0.0.0.0", "::", ""].contains(host) {
                let scheme = (api.tlsCert ?? config.api.tlsCertificate) != nil ? "https" : "http"
                config.queryAPIURL = host.contains(":") ? "\(scheme)://[\(host)]:\(port)" : "\(scheme)://\(host):\(port)"
            }
        } catch {
            throw fail("\(error)")
        }
        let logger = makeLogger(config.logging.level)
        if config.fleet.enabled && config.store == nil { throw fail("option 'fleet.server': a store is required (the applied configuration is kept there)") }
        if config.fleet.enabled, !FleetNames.valid(config.agentID ?? ProcessInfo.processInfo.hostName) {
            throw fail("option 'agent_id': a fleet agent's id is \(FleetNames.rule) (set agent_id)")
        }
        // A fleet agent starts with the central version it applied last (docs/fleet.md).
        let (effective, applied) = FleetClient.startingConfig(local: config, store: config.store ?? "", logger: logger)
        let service: CaptureService
        do {
            service = try CaptureService(config: effective, logger: logger, notifier: SystemdNotifier(logger: logger))
        } catch {
            throw fail("\(error)")
        }
        // Services stop in reverse order: capture first (its segment is closed), then the API.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        var reload: (any DispatchSourceSignal)?
        defer { reload?.cancel() }
        if let listen, let store = config.store {
            do {
                let (host, port) = try parseListen(listen)
                let (listener, access) = try api.agentAPI(host: host, port: port, settings: config.api)
                let app = try AgentAPI.application(store: store, listener: listener, access: access, metrics: ProcessMetrics.agent,
                                                   readiness: .capturing(), logger: logger)
                services.append(.init(service: ListenerStartup(app, option: "--listen", address: listen)))
                reload = reloadTokensOnHangup(access, logger: logger)
            } catch { throw fail("\(error)") }
            signal(SIGPIPE, SIG_IGN)
        }
        if let address = config.metricsListen, let store = config.store {
            do {
                services.append(.init(service: try api.metricsService(address: address, settings: config.api, store: store, metrics: ProcessMetrics.agent,
                                                                      readiness: .capturing(), logger: logger)))
            } catch { throw fail("\(error)") }
            signal(SIGPIPE, SIG_IGN)
        }
        services.append(.init(service: service))
        // After the capture: stopped before it at shutdown.
        if let fleet = FleetService.make(local: config, applied: applied, capture: service, logger: logger) { services.append(.init(service: fleet)) }
        // Last: told first at shutdown, so STOPPING=1 goes out before the capture stops.
        services.append(.init(service: service.watchdog()))
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            throw fail("\(error)")
        }
    }
}
