import Agent
import AgentHTTP
import ArgumentParser
import Foundation
import Logging
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

    @Option(name: .long, help: "Also serve the HTTP query API on HOST:PORT (e.g. 127.0.0.1:8470).")
    var listen: String?

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
                config.queryAPIURL = host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
            }
        } catch {
            throw fail("\(error)")
        }
        let logger = makeLogger(config.logging.level)
        let service: CaptureService
        do {
            service = try CaptureService(config: config, logger: logger)
        } catch {
            throw fail("\(error)")
        }
        // Services stop in reverse order: capture first (its segment is closed), then the API.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let listen {
            let (host, port): (String, Int)
            do { (host, port) = try parseListen(listen) } catch { throw fail("\(error)") }
            signal(SIGPIPE, SIG_IGN)
            services.append(.init(service: AgentAPI.application(store: config.store!, host: host, port: port, logger: logger)))
        }
        services.append(.init(service: service))
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
