import Fleet
import Foundation
import Logging
import Testing
import VigieTestSupport

@testable import Agent
@testable import Analytics

/// The agent's side of central configuration (docs/fleet.md): `services:` thresholds in YAML, a
/// central document applied onto the local file, and the capture thread's live application.
@Suite("Central configuration on the agent")
struct CentralConfigTests {
    @Test("services: defaults and overrides by service and by port; an override starts from the defaults")
    func servicesThresholds() throws {
        let c = try ConfigLoader.parse("""
        services:
          defaults: {max_error_rate: 0.2, max_rtt_p95: 300ms, windows_to_degrade: 3}
          overrides:
            "10.0.0.5:443/tcp": {max_response_p95: 5s}
            "[2001:db8::1]:53/udp": {min_evidence: 5}
            "443/tcp": {max_error_rate: 0.5}
        """)
        let t = c.analytics.thresholds
        #expect(t.defaults.maxErrorRate == 0.2 && t.defaults.maxRTTP95Nanos == 300_000_000 && t.defaults.windowsToDegrade == 3)
        #expect(t.services["10.0.0.5:443/tcp"]?.maxResponseP95Nanos == 5_000_000_000)
        #expect(t.services["10.0.0.5:443/tcp"]?.maxErrorRate == 0.2, "inherits the defaults")
        #expect(t.services["[2001:db8::1]:53/udp"]?.minEvidence == 5)
        #expect(t.ports["443/tcp"]?.maxErrorRate == 0.5)
    }

    @Test("bad thresholds name the key", arguments: [
        ("services: {defaults: {max_error_rate: 2}}", "services.defaults.max_error_rate"),
        ("services: {defaults: {max_rtt_p95: forever}}", "services.defaults.max_rtt_p95"),
        ("services: {defaults: {colour: red}}", "services.defaults.colour"),
        ("services: {overrides: {\"example.com\": {min_evidence: 1}}}", "services.overrides.example.com"),
        ("services: {overrides: {\"443/sctp\": {min_evidence: 1}}}", "services.overrides.443/sctp"),
        ("services: {overrides: {\"10.0.0.1:443/tcp\": {windows_to_fail: 0}}}", "services.overrides.10.0.0.1:443/tcp.windows_to_fail"),
    ])
    func badThresholds(yaml: String, key: String) {
        #expect { _ = try ConfigLoader.parse(yaml) } throws: { ($0 as? ConfigError)?.option == key }
    }

    static let local = """
    agent_id: edge-1
    store: /var/lib/vigie/store
    capture: {interface: eth1, prefilter: "not port 22"}
    index: {fields: [default, tls.sni]}
    storage: {quota: 100MiB, segment_size: 1MiB}
    api: {tokens_file: /etc/vigie/tokens}
    fleet: {server: "https://server:8080", group: paris}
    """

    @Test("a central document replaces its keys over the local file, and only its keys")
    func overlay() throws {
        let local = try ConfigLoader.parse(Self.local)
        let c = try ConfigLoader.applyCentral("capture: {prefilter: udp}\nstorage: {quota: 50MiB, retention: linear}\nservices: {defaults: {max_error_rate: 0.3}}\n", onto: local)
        #expect(c.capture.prefilter == "udp" && c.capture.interface == "eth1")
        #expect(c.storage.quotaBytes == 50 << 20 && c.storage.retention == .linear && c.storage.segmentBytes == 1 << 20)
        #expect(c.index.fields == ["default", "tls.sni"] && c.api.tokensFile == "/etc/vigie/tokens" && c.agentID == "edge-1")
        #expect(c.analytics.thresholds.defaults.maxErrorRate == 0.3)
        // An empty document is the local file.
        #expect(try ConfigLoader.applyCentral("", onto: local) == local)
    }

    @Test("a central document is refused naming the key", arguments: [
        ("capture: {interface: eth9}", "capture.interface"),
        ("api: {tokens_file: /tmp/t}", "api"),
        ("fleet: {server: \"http://elsewhere\"}", "fleet"),
        ("export: {http: {url: \"http://x\", token_file: /tmp/t}}", "export.http.token_file"),
        ("index: {fields: [default, no.such.field]}", "index.fields"),
        ("storage: {quota: 1MiB}", "storage.quota"),
        ("analytics: {workers: 1000}", "analytics.workers"),
        ("pins: {quota: 99MiB}", "pins.quota"),
    ])
    func refusals(yaml: String, key: String) throws {
        let local = try ConfigLoader.parse(Self.local)
        #expect { _ = try ConfigLoader.applyCentral(yaml, onto: local) } throws: { ($0 as? ConfigError)?.option == key }
    }

    /// The capture thread's side, without packets: a bad prefilter or a quota above the disk
    /// changes nothing; a good document changes the prefilter, the index fields and the quota,
    /// and names the keys that wait for a restart.
    @Test("live application: all or nothing, and the keys a restart needs")
    func liveApplication() throws {
        let dir = Support.temporaryDirectory("central-live")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var local = AgentConfig()
        local.store = dir
        local.analytics.enabled = false
        local.storage.segmentBytes = 64 << 10
        local.storage.quotaBytes = 8 << 20
        let logger = Logger(label: "test")
        let store = try SegmentStore.open(config: local, logger: logger)
        let pipeline = try PacketPipeline.open(config: local, store: store, live: true, logger: logger)
        let runner = CaptureRunner(pipeline: pipeline, logger: logger, mode: "capture", sources: ["test"], statsInterval: 60)
        runner.runningConfig = local

        let bad = try ConfigLoader.applyCentral("capture: {prefilter: \"udp and\"}\nstorage: {quota: 16MiB}\n", onto: local)
        #expect { _ = try runner.applyLive(bad, over: local) } throws: { ($0 as? ConfigError)?.option == "capture.prefilter" }
        let huge = try ConfigLoader.applyCentral("storage: {quota: 1000000TiB}\n", onto: local)
        #expect { _ = try runner.applyLive(huge, over: local) } throws: { ($0 as? ConfigError)?.option == "storage.quota" }
        let localFields = try local.index.fieldSet()
        #expect(pipeline.prefilter == nil && store.config.quotaBytes == 8 << 20 && store.indexer?.fields == localFields)

        let good = try ConfigLoader.applyCentral("""
        capture: {prefilter: udp}
        index: {fields: [default, dns.qname]}
        storage: {quota: 16MiB}
        analytics: {workers: 3}
        export: {http: {url: "https://server/api/v1/ingest"}}
        pins: {before: 1m}
        """, onto: local)
        let restart = try runner.applyLive(good, over: local)
        #expect(pipeline.prefilter == "udp" && store.config.quotaBytes == 16 << 20)
        let goodFields = try good.index.fieldSet()
        #expect(store.indexer?.fields == goodFields)
        #expect(restart == ["analytics.workers", "export", "pins"])
    }

    /// A version older than the one running (a server store restored from a backup) is refused and
    /// changes nothing; so is a document with a bad value. The server is unreachable here: the
    /// reports are lost, the decisions are not.
    @Test("the fleet client refuses an older version and a bad document, keeping the running one")
    func clientRefusals() throws {
        let dir = Support.temporaryDirectory("fleet-client")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var local = AgentConfig()
        local.store = dir
        local.fleet.server = "http://127.0.0.1:9"
        let running = AppliedConfiguration(version: 5, yaml: "capture: {prefilter: udp}\n", sources: [], appliedAt: 0)
        let reconfiguration = LiveReconfiguration()
        let client = FleetClient(settings: local.fleet, identity: .init(agent: "a1", version: "test", capabilities: [], interfaces: [], queryAPI: nil),
                                 local: local, store: dir, applied: running, reconfiguration: reconfiguration, logger: Logger(label: "test"))
        client.handle(DesiredConfig(agent: "a1", version: 3, yaml: "capture: {prefilter: tcp}\n", sources: []))
        #expect(client.appliedVersion == 5)
        client.handle(DesiredConfig(agent: "a1", version: 6, yaml: "index: {fields: [nonsense]}\n", sources: []))
        #expect(client.appliedVersion == 5)
        #expect(reconfiguration.take() == nil, "nothing reached the capture thread")
        #expect(AppliedConfiguration.read(store: dir) == nil, "nothing was written")
    }
}
