import Correlation
import Foundation
import HTTPTypes
import Hummingbird
import Indexer
import Logging
import NIOCore
import PcapFormat

/// `GET /api/v1/search?q=EXPR[&from=T][&to=T][&agents=a,b | &group=G][&format=pcap|counts][&limit=N][&link_type=N]`:
/// one field query (docs/query-language.md) asked of several agents' query APIs at once, answered
/// as one pcap merged in time order, or as per-agent counts (docs/search.md).
///
/// Every agent's answer is gathered before the response starts (as drill-down does), so what is
/// missing or cut is said in headers, not trailers: `Vigie-Search-Agents` (answered),
/// `Vigie-Search-Missing` (`agent=reason, ...`), `Vigie-Search-Partial`, `Vigie-Search-Truncated`.
enum Search {
    enum Format: String { case pcap, counts }

    static let agentsHeader = HTTPField.Name("Vigie-Search-Agents")!  // valid constant names
    static let missingHeader = HTTPField.Name("Vigie-Search-Missing")!
    static let partialHeader = HTTPField.Name("Vigie-Search-Partial")!
    static let truncatedHeader = HTTPField.Name("Vigie-Search-Truncated")!

    /// Packets per agent (and in the merged answer) when the request names no limit, and the most.
    static let defaultLimit = 100_000
    static let maxLimit = 1_000_000
    /// Longest accepted `q` and `agents=` list, agent ids named at once.
    static let maxQueryBytes = 4096
    static let maxAgents = 1000
    /// The reason of an agent whose 200 answer is not a classic pcap.
    static let notPcap = "the answer is not a pcap"

    /// A search's parameters, checked.
    struct Parameters {
        var q: String
        var from: String?, to: String?
        var limit = Search.defaultLimit
        var linkType: UInt32?
        var format = Format.pcap
        var agents: [String]?
        var group: String?

        /// The agents' `/api/v1/packets` request.
        var pathAndQuery: String {
            var s = "/api/v1/packets?q=\(DrillDown.percentEncode(q))&limit=\(limit)"
            if let from { s += "&from=\(DrillDown.percentEncode(from))" }
            if let to { s += "&to=\(DrillDown.percentEncode(to))" }
            if let linkType { s += "&link_type=\(linkType)" }
            return s
        }
    }

    /// The parameters of `request`, or the 400 answer.
    static func parameters(_ request: Request) -> Result<Parameters, ServerAPI.RefusedParameter> {
        func refuse(_ detail: String) -> Result<Parameters, ServerAPI.RefusedParameter> { .failure(.init(response: Problem.badRequest(detail))) }
        guard let q = ServerAPI.parameter(request, "q"), !q.trimmingCharacters(in: .whitespaces).isEmpty else {
            return refuse("q is required: a query expression (docs/query-language.md), e.g. q=tls.sni%20example.com")
        }
        guard q.utf8.count <= maxQueryBytes else { return refuse("q is longer than \(maxQueryBytes) bytes") }
        // Checked here, before any agent is asked: one 400 with the position instead of one per agent.
        do throws(QueryError) { _ = try QueryParser.parse(q) } catch {
            return refuse("q: \(error.message) (at offset \(error.offset))")
        }
        var p = Parameters(q: q)
        p.from = ServerAPI.parameter(request, "from")
        p.to = ServerAPI.parameter(request, "to")
        for (name, value) in [("from", p.from), ("to", p.to)] {
            if let value, !DrillDown.validTime(value) { return refuse("'\(name)' must be at most 64 bytes of printable ASCII (an RFC 3339 time)") }
        }
        if let text = ServerAPI.parameter(request, "limit") {
            guard let n = Int(text), (1...maxLimit).contains(n) else { return refuse("'limit' must be 1...\(maxLimit)") }
            p.limit = n
        }
        if let text = ServerAPI.parameter(request, "link_type") {
            guard let n = UInt32(text) else { return refuse("'link_type' must be a LINKTYPE_ number") }
            p.linkType = n
        }
        if let text = ServerAPI.parameter(request, "format") {
            guard let f = Format(rawValue: text) else { return refuse("'format' must be pcap or counts, not '\(text.prefix(64))'") }
            p.format = f
        }
        let agents = ServerAPI.parameter(request, "agents"), group = ServerAPI.parameter(request, "group")
        if agents != nil && group != nil { return refuse("give 'agents' or 'group', not both") }
        if let agents {
            var seen = Set<String>(), list: [String] = []
            for item in agents.split(separator: ",", omittingEmptySubsequences: false) {
                let id = item.trimmingCharacters(in: .whitespaces)
                guard !id.isEmpty, id.utf8.count <= 256 else { return refuse("'agents' must be a comma-separated list of agent ids (none empty, each at most 256 bytes)") }
                if seen.insert(id).inserted { list.append(id) }
            }
            guard list.count <= maxAgents else { return refuse("'agents' names more than \(maxAgents) agents") }
            p.agents = list
        }
        if let group {
            guard !group.isEmpty, group.utf8.count <= 256 else { return refuse("'group' must be a group name of 1...256 bytes") }
            p.group = group
        }
        return .success(p)
    }

    /// One agent's line of a `format=counts` answer.
    struct AgentCount: Encodable {
        var agent: String
        var packets: Int
        var bytes: Int
        /// `ok`, `refused` (not contacted), `unreachable` (no HTTP answer), `timeout`, `http_error`, `bad_answer`.
        var status: String
        var error: String?
    }

    struct Counts: Encodable {
        struct Total: Encodable { var packets: Int; var bytes: Int }
        var agents: [AgentCount]
        var total: Total
        var partial: Bool
        var missing: [String]
    }

    /// A header value of names and reasons: printable ASCII without the list's separators, at most 4 KiB.
    static func headerText(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { c -> Unicode.Scalar in
            c.isASCII && c.value >= 0x20 && c.value < 0x7F && c != "," && c != "=" ? c : "_"
        }))
    }

    static func headerList(_ items: [String]) -> String {
        var out = ""
        for item in items {
            if out.utf8.count + item.utf8.count > 4096 { return out + (out.isEmpty ? "" : ", ") + "..." }
            out += (out.isEmpty ? "" : ", ") + item
        }
        return out
    }

    /// The agents a search names: those with a query API (or declared), in agent-id order (the
    /// merge's order for equal times), and a group's members without one (reported missing).
    struct Selection: Equatable {
        var names: [String]
        var absent: [String]
    }

    /// An `agents=` id or a `group=` the directory does not know (404).
    struct SelectionRefused: Error, Equatable {
        var status: Int
        var detail: String
    }

    /// `agents=` (each must be known), `group=` (must exist), else every agent of the directory.
    static func select(agents: [String]?, group: String?, directory: any AgentDirectory, declared: Set<String>) throws(SelectionRefused) -> Selection {
        func known(_ agent: String) -> Bool { directory.queryAPI(of: agent) != nil || declared.contains(agent) }
        if let agents {
            let unknown = agents.filter { !known($0) }
            if !unknown.isEmpty {
                throw SelectionRefused(status: 404, detail: "unknown agent\(unknown.count == 1 ? "" : "s") \(unknown.prefix(20).map { "'\(headerText($0))'" }.joined(separator: ", ")): no query API announced or declared")
            }
            return Selection(names: agents.sorted(), absent: [])
        }
        if let group {
            guard let members = directory.members(ofGroup: group) else { throw SelectionRefused(status: 404, detail: "unknown group '\(headerText(group))'") }
            let unique = Set(members)
            return Selection(names: unique.filter(known).sorted(), absent: unique.filter { !known($0) }.sorted())
        }
        return Selection(names: Set(directory.allAgents()).sorted(), absent: [])
    }

    /// `GET /api/v1/search`.
    static func handle(_ request: Request, correlator: Correlator, config api: ServerAPIConfig, fetcher: DrillDown.Fetcher) async -> Response {
        if request.headers.contains(where: { $0.name.canonicalName == DrillDown.loopHeader }) {
            return Problem.make(508, "this request comes from a drill-down (Vigie-Drilldown header): a server does not search on its own behalf").response()
        }
        // Checked first, as drill-down does: every request of a server without it answers 403.
        guard api.drillDown.enabled else {
            return Problem.make(403, "search is disabled with drill-down: start the server with --drilldown-allow CIDR (the agents' query API addresses)").response()
        }
        let p: Parameters
        switch parameters(request) {
        case .failure(let refused): return refused.response
        case .success(let checked): p = checked
        }
        let directory = api.search.directory(correlator, api.drillDown)
        let selection: Selection
        do throws(SelectionRefused) {
            selection = try select(agents: p.agents, group: p.group, directory: directory, declared: Set(api.drillDown.declaredAgents.keys))
        } catch { return Problem.make(error.status, error.detail).response() }
        let names = selection.names
        var outcomes: [(String, AgentFanOut.Outcome)] = selection.absent.map { ($0, .refused("no query API announced or declared")) }
        let selected = AgentFanOut.targets(names, directory: directory, api: api, correlator: correlator)
        outcomes += selected.refused
        // Never silent: a named agent the policy leaves without a URL is reported, not dropped.
        let placed = Set(selected.targets.map(\.0) + outcomes.map(\.0))
        for name in names where !placed.contains(name) { outcomes.append((name, .refused("no query API announced"))) }
        if selected.targets.isEmpty && outcomes.isEmpty {
            return Problem.make(409, "no agent to search: none of those selected announces a query API (capture --listen / --advertise-api)").response()
        }
        let who = api.access.callerName(authorization: request.headers[.authorization])
        if !selected.targets.isEmpty {
            let slots = min(selected.targets.count, max(1, api.search.concurrency), max(1, api.drillDown.maxConcurrentFetches))
            guard fetcher.acquire(slots) else {
                return Problem.make(503, "too many drill-downs and searches in progress (at most \(api.drillDown.maxConcurrentFetches) agent fetches at once); retry shortly")
                    .response(headers: [.retryAfter: "1"])
            }
            var config = api.drillDown
            config.timeoutSeconds = api.search.timeoutSeconds
            config.connectTimeoutSeconds = min(config.connectTimeoutSeconds, config.timeoutSeconds)
            outcomes += await AgentFanOut.run(selected.targets, pathAndQuery: p.pathAndQuery, identity: who, config: config, slots: slots)
            fetcher.release(slots)
        }
        var report = AgentFanOut.Report(outcomes)
        // An answer that is not a pcap is that agent missing, not the whole search failing.
        var summaries: [String: PcapMerge.Summary] = [:], readable: [(agent: String, pcap: [UInt8])] = []
        for answer in report.answered {
            do throws(PcapFormatError) {
                summaries[answer.agent] = try PcapMerge.summary(answer.pcap)
                readable.append(answer)
            } catch { report.missing.append((answer.agent, notPcap)) }
        }
        report.answered = readable
        report.missing.sort { $0.agent < $1.agent }
        let audit = SearchAudit.Entry(who: who, query: p.q, from: p.from, to: p.to, format: p.format.rawValue,
                                      selection: p.agents.map { "agents=\($0.joined(separator: ","))" } ?? p.group.map { "group=\($0)" } ?? "all",
                                      answered: report.answered.map(\.agent), missing: report.failed)
        guard !report.answered.isEmpty else {
            let status = report.noAnswerStatus
            SearchAudit.record(audit, status: status)
            return Problem.make(status, "no agent answered: \(report.failed.joined(separator: "; "))").response()
        }
        var headers = HTTPFields()
        headers[agentsHeader] = headerList(report.answered.map { headerText($0.agent) })
        if !report.missing.isEmpty {
            headers[missingHeader] = headerList(report.missing.map { "\(headerText($0.agent))=\(headerText($0.reason))" })
            headers[partialHeader] = "true"
        }
        switch p.format {
        case .counts: return counts(report, summaries: summaries, limit: p.limit, headers: headers, audit: audit)
        case .pcap: return pcap(report, parameters: p, maxBytes: api.search.maxBytes, headers: headers, audit: audit)
        }
    }

    /// `format=counts`: each answer's packets counted (the agents' pcaps are fetched and read: no
    /// agent route of its own, so any agent version can be counted; docs/search.md).
    static func counts(_ report: AgentFanOut.Report, summaries: [String: PcapMerge.Summary], limit: Int, headers: HTTPFields,
                       audit: SearchAudit.Entry) -> Response {
        var lines: [AgentCount] = []
        let missing = report.missing.map(\.agent)
        for (agent, _) in report.answered {
            guard let s = summaries[agent] else { continue }  // every answer left was read
            lines.append(AgentCount(agent: agent, packets: s.packets, bytes: s.bytes, status: "ok",
                                    error: s.packets >= limit ? "at the limit of \(limit) packets: there may be more" : nil))
        }
        for (agent, reason) in report.missing {
            let status = reason.hasPrefix("not contacted") ? "refused" : reason == "timed out" ? "timeout" : reason.hasPrefix("HTTP ") ? "http_error"
                : reason == notPcap ? "bad_answer" : "unreachable"
            lines.append(AgentCount(agent: agent, packets: 0, bytes: 0, status: status, error: reason))
        }
        lines.sort { $0.agent < $1.agent }
        let total = Counts.Total(packets: lines.reduce(0) { $0 &+ $1.packets }, bytes: lines.reduce(0) { $0 &+ $1.bytes })
        SearchAudit.record(audit, status: 200, packets: total.packets)
        var response = ServerAPI.json(Counts(agents: lines, total: total, partial: !missing.isEmpty, missing: missing))
        for field in headers { response.headers.append(field) }
        if !missing.isEmpty { response.headers[partialHeader] = "true" }
        return response
    }

    /// `format=pcap`: the answers merged in time order, cut at `limit` packets and `maxBytes`, streamed.
    static func pcap(_ report: AgentFanOut.Report, parameters p: Parameters, maxBytes: Int, headers: HTTPFields, audit: SearchAudit.Entry) -> Response {
        let plan: PcapMerge.Plan
        do throws(PcapMerge.Failure) { plan = try PcapMerge.plan(report.answered.map(\.pcap)) } catch {
            switch error {
            case .linkTypes(let types):
                SearchAudit.record(audit, status: 409)
                let named = zip(report.answered.filter { !$0.pcap.isEmpty }.map(\.agent), types).map { "\($0) \($1)" }.joined(separator: ", ")
                return Problem.make(409, "the agents answered different link types (\(named)): one pcap holds one; add link_type=N").response()
            case .unreadable(let index, _):
                SearchAudit.record(audit, status: 502)
                let agent = report.answered.indices.contains(index) ? report.answered[index].agent : "?"
                return Problem.make(502, "agent \(agent) answered data that is not a pcap").response()
            }
        }
        let count = plan.packetsFitting(maxBytes: maxBytes, maxPackets: p.limit)
        // Cut here, or possibly by an agent: one that answered `limit` packets may hold more.
        let truncated = count < plan.packets || plan.packetsPerInput.contains { $0 >= p.limit }
        var headers = headers
        headers[.contentType] = "application/vnd.tcpdump.pcap"
        headers[.contentDisposition] = "attachment; filename=\"search.pcap\""
        headers[.contentLength] = String(plan.size(packets: count))
        if truncated { headers[truncatedHeader] = "true" }
        SearchAudit.record(audit, status: 200, packets: count, bytes: plan.size(packets: count), truncated: truncated)
        // Written in pieces from the agents' answers: the merged pcap is never held whole.
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(bytes: plan.header.encoded()))
            var start = 0
            var chunk: [UInt8] = []
            while start < count {
                let end = min(count, start + 1024)
                chunk.removeAll(keepingCapacity: true)
                plan.write(start..<end, into: &chunk)
                try await writer.write(ByteBuffer(bytes: chunk))
                start = end
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
