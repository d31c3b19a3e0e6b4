import Foundation
import HTTPListener
import Testing
import VigieTestSupport

@testable import Agent

/// The YAML `api:` section and the export token file: values land where the listener reads them,
/// bad ones are refused naming the option.
@Suite("Configuration: api section and token files")
struct APIConfigTests {
    @Test("api: every option is read")
    func apiSection() throws {
        let c = try ConfigLoader.parse("""
            api:
              tokens_file: /etc/vigie/agent-tokens
              tls_cert: /etc/vigie/tls/agent.pem
              tls_key: /etc/vigie/tls/agent.key
              tls_client_ca: /etc/vigie/tls/server-ca.pem
              require_client_cert: true
              insecure_listen: false
              max_connections: 1000
              header_timeout: 5s
              idle_timeout: 2m
            """)
        #expect(c.api.tokensFile == "/etc/vigie/agent-tokens")
        #expect(c.api.tlsCertificate == "/etc/vigie/tls/agent.pem" && c.api.tlsKey == "/etc/vigie/tls/agent.key")
        #expect(c.api.tlsClientCA == "/etc/vigie/tls/server-ca.pem" && c.api.requireClientCertificate)
        #expect(c.api.maxConnections == 1000 && c.api.headerTimeoutSeconds == 5 && c.api.idleTimeoutSeconds == 120)
    }

    @Test("api: bad values are refused naming the option", arguments: [
        ("api: {max_connections: 0}", "api.max_connections"),
        ("api: {max_connections: 100000}", "api.max_connections"),
        ("api: {header_timeout: 0s}", "api.header_timeout"),
        ("api: {idle_timeout: inf}", "api.idle_timeout"),
        ("api: {tls_certificate: x}", "api.tls_certificate"),
    ])
    func badValues(_ yaml: String, _ option: String) {
        #expect(throws: ConfigError.self) { try ConfigLoader.parse(yaml) }
        do { _ = try ConfigLoader.parse(yaml) } catch let e as ConfigError { #expect(e.option == option, "\(e)") } catch { Issue.record("\(error)") }
    }

    @Test("the export token comes from a file (trimmed), kept for re-reading after a 401/403; an empty or missing file is refused")
    func exportTokenFile() throws {
        let dir = Support.temporaryDirectory("tokfile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "  s3cret-export-token-0123\n".write(toFile: dir + "/t", atomically: true, encoding: .utf8)
        let c = try ConfigLoader.parse("export: {http: {url: \"https://srv:8480/api/v1/ingest\", token_file: \(dir)/t}}")
        #expect(c.export.httpToken == "s3cret-export-token-0123")
        #expect(c.export.httpTokenFile == dir + "/t")
        #expect(try ConfigLoader.parse("export: {http: {url: \"https://srv:8480/api/v1/ingest\", token: x}}").export.httpTokenFile == nil)
        try "\n".write(toFile: dir + "/empty", atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try ConfigLoader.token(fromFile: dir + "/empty", option: "--http-token-file") }
        #expect(throws: ConfigError.self) { try ConfigLoader.token(fromFile: dir + "/absent", option: "--http-token-file") }
    }

    @Test("listener options: limits out of range and half a TLS pair are refused")
    func listenerOptions() throws {
        var s = ListenerSettings()
        s.maxConnections = 0
        #expect(throws: ListenerError.self) { try ListenerOptions.parse([]).resolve(host: "127.0.0.1", port: 1, settings: s) }
        s = ListenerSettings()
        s.tlsCertificate = "/x.pem"
        #expect(throws: ListenerError.self) { try ListenerOptions.parse([]).resolve(host: "127.0.0.1", port: 1, settings: s) }
        s = ListenerSettings()
        s.tlsClientCA = "/ca.pem"
        #expect(throws: ListenerError.self) { try ListenerOptions.parse([]).resolve(host: "127.0.0.1", port: 1, settings: s) }
        let (listener, tokens) = try ListenerOptions.parse([]).resolve(host: "0.0.0.0", port: 8470)
        #expect(!listener.isLoopback && tokens.isEmpty)
        #expect(throws: ListenerError.self) { try listener.checkExposure(credentials: false, program: "test") }
    }
}
