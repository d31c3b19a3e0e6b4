import Correlation
import Foundation
import Logging
import Transport

/// Incident pins ordered by the server (docs/pins.md, "Ordered by the server"): when an
/// application turns DOWN or DEGRADED, the agents that saw its root-cause services are asked to
/// pin `before` + `after` around now (`POST /api/v1/pins` with the drill-down credential, through
/// the drill-down's admission: allow-list, address pinning, the same agents it would call). An
/// agent decides DOWN for its own services; only the server sees an application, so only it can
/// keep an application's incident whose own services each looked merely degraded to one agent.
public final class ApplicationPinOrders: Sendable {
    let correlator: Correlator
    let api: ServerAPIConfig
    let before: Double, after: Double
    let logger: Logger

    public init(correlator: Correlator, api: ServerAPIConfig, before: Double = 300, after: Double = 600, logger: Logger) {
        self.correlator = correlator; self.api = api; self.before = before; self.after = after; self.logger = logger
    }

    /// The orders one state change calls for: (agent, its query API, the pin's JSON body).
    func orders(for e: StateChangeEvent) -> [(agent: String, target: QueryAPI, body: [UInt8], service: String)] {
        guard e.kind == .application, e.state == .down || e.state == .degraded else { return [] }
        if let p = e.previous, p == .down || p == .degraded { return [] }  // still the same incident
        var out: [(String, QueryAPI, [UInt8], String)] = []
        let directory = api.search.directory(correlator, api.drillDown)
        for service in Set(e.rootCauses).sorted() {
            let agents = Set(correlator.agentViews(service: service).map(\.agent)).sorted()
            let (targets, refused) = AgentFanOut.targets(agents, directory: directory, api: api, correlator: correlator)
            for (agent, why) in refused { logger.warning("incident pin not ordered", metadata: ["agent": "\(agent)", "why": "\(why)"]) }
            let reason = "application \(e.node) → \(e.state.rawValue) (root cause \(service))"
            let body = "{\"from\":\(JSONText.quoted(Timestamp.format(e.at - before))),\"to\":\(JSONText.quoted(Timestamp.format(e.at + after))),"
                + "\"reason\":\(JSONText.quoted(reason)),\"service\":\(JSONText.quoted(service))}"
            for (agent, target) in targets { out.append((agent, target, Array(body.utf8), service)) }
        }
        return out
    }

    /// Follows the state changes until the stream ends; each order on a thread of its own (libcurl blocks).
    public func run() async {
        let (subscription, events) = correlator.subscribe()
        defer { correlator.unsubscribe(subscription) }
        let config = api.drillDown
        for await e in events {
            for order in orders(for: e) {
                let logger = self.logger
                Thread {
                    // An agent restarting, or its API not up yet: tried for about half a minute.
                    var status = 0
                    for delay in [0.0, 1, 2, 4, 8, 16] {
                        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
                        status = Self.send(order.target, body: order.body, config: config)
                        if status != 0 && status < 500 { break }
                    }
                    if status == 201 {
                        logger.notice("incident pin ordered", metadata: ["agent": "\(order.agent)", "service": "\(order.service)", "application": "\(e.node)"])
                    } else {
                        logger.warning("incident pin refused", metadata: ["agent": "\(order.agent)", "service": "\(order.service)", "status": "\(status)"])
                    }
                }.start()
            }
        }
    }

    /// POSTs one pin; the HTTP status (0: no answer or refused by the drill-down policy).
    static func send(_ target: QueryAPI, body: [UInt8], config: DrillDownConfig) -> Int {
        guard case .success(let pins) = DrillDown.admit(target, config: config) else { return 0 }
        var headers = ["Content-Type: application/json", "\(DrillDown.loopHeader): 1", "\(DrillDown.onBehalfHeader): vigie-server"]
        if let token = config.token { headers.append("Authorization: Bearer \(token)") }
        return HTTPPost.send(target.url("/api/v1/pins"), body: body, headers: headers, timeoutSeconds: min(config.timeoutSeconds, 30),
                             resolve: pins, caFile: config.caFile).status
    }
}
