import Correlation
import Foundation
import Hummingbird

extension ServerAPI {
    /// What the agents sent, as sent: the agents' liveness and the recent flow records.
    enum AgentFlowRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/agents") { _, _, api -> Response in
                json(api.correlator.agentList().map {
                    AgentEntry(agent: $0.info.agent, lastSeen: Timestamp.format($0.info.lastSeen), epoch: $0.info.epoch, fresh: $0.fresh,
                               health: $0.info.health)
                })
            },
            APIRoute(.get, "api/v1/flows") { request, _, api -> Response in
                let limit: Int
                switch parameter(request, "limit") {
                case nil: limit = 100
                case let text?:
                    guard let n = Int(text), (1...10_000).contains(n) else { return Problem.badRequest("'limit' must be an integer in 1...10000, not '\(text)'") }
                    limit = n
                }
                var lines: [String] = [], bytes = 0
                // Newest first, and at most `maxFlowsAnswerBytes` (each line is at most `maxRecordBytes`).
                for line in api.correlator.recentFlows(service: parameter(request, "service"), limit: limit).map(\.line) {
                    bytes += line.utf8.count + 1
                    if bytes > maxFlowsAnswerBytes && !lines.isEmpty { break }
                    lines.append(line)
                }
                return text(lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n"), contentType: "application/x-ndjson")
            },
        ]
    }

    /// Largest `GET /api/v1/flows` answer (the newest lines that fit).
    static let maxFlowsAnswerBytes = 16 << 20
}

/// `health`: the agent's last `agent_health` record as received (a JSON text, docs/records.md):
/// drops, store use, the sinks' backlog (the console's agents page).
struct AgentEntry: Encodable { var agent: String; var lastSeen: String; var epoch: Int64; var fresh: Bool; var health: String? }
