import Agent
import Foundation
import Logging
import ServiceLifecycle
import SystemIO

/// The fleet client as a `Service` (docs/fleet.md): its blocking HTTP calls run on a thread of
/// their own; graceful shutdown tells it to stop (a poll in flight ends at its timeout, and is
/// not waited for: the capture stops first regardless).
final class FleetService: Service, Sendable {
    let client: FleetClient

    init(client: FleetClient) { self.client = client }

    /// The client for a capture: `effective` is what runs (stored central version over `local`).
    static func make(local: AgentConfig, applied: AppliedConfiguration?, capture: CaptureService, logger: Logger) -> FleetService? {
        guard local.fleet.enabled, let store = local.store else { return nil }
        var capabilities = ["capture", "central_config"]
        if local.index.enabled { capabilities.append("index") }
        if local.analytics.enabled { capabilities.append("analytics") }
        if local.queryAPIURL != nil { capabilities.append("query_api") }
        let identity = FleetClient.Identity(agent: local.agentID ?? ProcessInfo.processInfo.hostName,
                                            version: VigieAgentCommand.configuration.version, capabilities: capabilities,
                                            interfaces: [local.capture.interface].compactMap { $0 }, queryAPI: local.queryAPIURL)
        var logger = logger
        logger[metadataKey: "component"] = "fleet"
        return FleetService(client: FleetClient(settings: local.fleet, identity: identity, local: local, store: store, applied: applied,
                                                reconfiguration: capture.reconfiguration, logger: logger))
    }

    func run() async throws {
        let client = self.client
        await withGracefulShutdownHandler {
            let done = Task.detached { try? await onOwnThread(named: "vigie-fleet") { client.run() } }
            await done.value
        } onGracefulShutdown: {
            client.stop()
        }
    }
}
