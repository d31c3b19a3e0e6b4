import Agent
import AgentHTTP
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle

/// `vigie-agent serve`: the HTTP query API over a store (also started by `capture --listen`).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the HTTP query API of a store (Schemas/agent-api.yaml).")

    @Option(name: .long, help: "Store directory.")
    var store: String

    @Option(name: .long, help: "Address to listen on, HOST:PORT (default 127.0.0.1:8470).")
    var listen: String = "127.0.0.1:8470"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func run() async throws {
        let (host, port): (String, Int)
        do { (host, port) = try parseListen(listen) } catch { throw fail("\(error)") }
        guard FileIO.isDirectory(StoreLayout(root: store).catalogDirectory) else {
            throw fail("\(store): not a Vigie store (no catalog/ directory)")
        }
        signal(SIGPIPE, SIG_IGN)
        let logger = makeLogger(logLevel)
        let app = AgentAPI.application(store: store, host: host, port: port, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Parses `HOST:PORT` (IPv6 as `[::1]:PORT`).
func parseListen(_ s: String) throws -> (String, Int) {
    guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else {
        throw ConfigError(option: "--listen", "'\(s)' is not HOST:PORT")
    }
    var host = String(s[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "0.0.0.0" : host, port)
}
