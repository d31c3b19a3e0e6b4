import Correlation
import Foundation
import Transport

/// Asking several agents' query APIs the same thing: what drill-down and search share. Which
/// agents may be called (``targets(_:directory:api:correlator:)``), the calls themselves with a
/// bound on how many run at once (``run(_:pathAndQuery:identity:config:slots:)``), and what the
/// answers add up to (``Report``). Each call is ``DrillDown/fetch(agent:api:pathAndQuery:identity:config:)``:
/// allow-list admission, address pinning, the drill-down credential, the per-agent byte cap and timeout.
enum AgentFanOut {
    typealias Outcome = DrillDown.Outcome

    /// The agents of `agents` the server may call, with their parsed query API, and those it may
    /// not (with why). Known agents: declared ones (their configured URL, else what they announce),
    /// and with tokens the token holders, from what they announced with their own token (a record
    /// through Kafka could claim any agent_id); without tokens, any agent (development). Agents the
    /// directory has no query API for are left out silently (callers that named them check first).
    static func targets(_ agents: [String], directory: any AgentDirectory, api: ServerAPIConfig,
                        correlator: Correlator) -> (targets: [(String, QueryAPI)], refused: [(String, Outcome)]) {
        let config = api.drillDown
        let tokenAgents = api.tokenAgents
        // Announced with the agent's own token: in an agent_health line since this process started,
        // or in its fleet registration (stored: it survives a server restart).
        var authenticated = tokenAgents.isEmpty ? [:] : correlator.authenticatedHealthLines().compactMapValues(DrillDown.queryAPI(ofHealth:))
        if !tokenAgents.isEmpty, let fleet = api.fleet {
            for (agent, q) in fleet.queryAPIs() where q.authenticated && authenticated[agent] == nil { authenticated[agent] = q.url }
        }
        var targets: [(String, QueryAPI)] = [], refused: [(String, Outcome)] = []
        for agent in agents {
            let text: String?
            if let declared = config.declaredAgents[agent] {
                text = declared ?? directory.queryAPI(of: agent)
            } else if tokenAgents.isEmpty {
                text = directory.queryAPI(of: agent)
            } else if tokenAgents.contains(agent) {
                text = authenticated[agent]
                if text == nil && directory.queryAPI(of: agent) != nil {
                    refused.append((agent, .refused("its query API did not come with its token since the server started (announced through Kafka, or before a restart: wait for its next agent_health, or declare it with --drilldown-agent)")))
                    continue
                }
            } else {
                if directory.queryAPI(of: agent) != nil {
                    refused.append((agent, .refused("not a known agent (no --token of its own, not declared with --drilldown-agent)")))
                }
                continue
            }
            guard let text else { continue }
            do throws(QueryAPI.Invalid) { targets.append((agent, try QueryAPI.parse(text))) } catch {
                refused.append((agent, .refused("its query API is refused: \(error)")))
            }
        }
        return (targets, refused)
    }

    /// GETs `pathAndQuery` from every target, at most `slots` at once (the caller holds them in the
    /// ``DrillDown/Fetcher``); each answer as it comes, in no particular order. An agent that never
    /// answers holds its slot until `config.timeoutSeconds`, and only that slot.
    static func run(_ targets: [(String, QueryAPI)], pathAndQuery: String, identity: String, config: DrillDownConfig,
                    slots: Int) async -> [(String, Outcome)] {
        await withTaskGroup(of: (String, Outcome).self) { group in
            func start(_ agent: String, _ target: QueryAPI) {
                group.addTask {
                    // libcurl and getaddrinfo block: one thread per agent, off the async pool.
                    await withCheckedContinuation { done in
                        Thread {
                            done.resume(returning: (agent, DrillDown.fetch(agent: agent, api: target, pathAndQuery: pathAndQuery,
                                                                           identity: identity, config: config)))
                        }.start()
                    }
                }
            }
            var pending = targets[...]
            for _ in 0..<max(1, slots) { if let (agent, target) = pending.popFirst() { start(agent, target) } }
            var out: [(String, Outcome)] = []
            for await answer in group {
                out.append(answer)
                if let (agent, target) = pending.popFirst() { start(agent, target) }
            }
            return out
        }
    }

    /// What the outcomes of one request add up to, by agent id.
    struct Report {
        /// Agents that answered a pcap, in agent order, with it.
        var answered: [(agent: String, pcap: [UInt8])] = []
        /// Agents without a pcap, in agent order, with why (safe to show: no agent answer text
        /// beyond a short problem detail, no address).
        var missing: [(agent: String, reason: String)] = []
        var contacted = 0, timeouts = 0, clientErrors = 0

        init(_ outcomes: [(String, Outcome)]) {
            for (agent, outcome) in outcomes.sorted(by: { $0.0 < $1.0 }) {
                switch outcome {
                case .pcap(let bytes): answered.append((agent, bytes)); contacted += 1
                case .refused(let why): missing.append((agent, "not contacted: \(why)"))
                case .failed(let f):
                    contacted += 1
                    if f == .timedOut { timeouts += 1 }
                    missing.append((agent, "\(f)"))
                case .status(let code, let detail):
                    contacted += 1
                    if code == 400 { clientErrors += 1 }
                    missing.append((agent, "HTTP \(code)" + (detail.map { ": \($0)" } ?? "")))
                }
            }
        }

        /// `agent X: reason` lines (drill-down's problem details and logs).
        var failed: [String] { missing.map { "agent \($0.agent): \($0.reason)" } }

        /// The status of an answer when no agent answered: 403 none contacted, 400 an agent refused
        /// the request, 504 all timed out, else 502.
        var noAnswerStatus: Int { contacted == 0 ? 403 : clientErrors > 0 ? 400 : timeouts == contacted ? 504 : 502 }
    }
}
