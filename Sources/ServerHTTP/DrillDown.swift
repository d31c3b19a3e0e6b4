import Correlation
import Exporters
import Foundation
import Hummingbird
import Logging
import NIOCore
import PcapFormat

/// Drill-down from a service to its packets: the server asks every agent that saw the service
/// (agents announce their query API in `agent_health.query_api`) for the packets of the requested
/// time range, and answers one pcap merged in time order. Nothing is copied centrally beyond the
/// answer being built; the answer is bounded by `limit` packets per agent.
enum DrillDown {
    /// Agents' query APIs by agent id, from their last `agent_health` record.
    static func queryAPIs(_ correlator: Correlator) -> [String: String] {
        var out: [String: String] = [:]
        for (info, _) in correlator.agentList() {
            guard let health = info.health, let data = health.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let url = object["query_api"] as? String, url.hasPrefix("http") else { continue }
            out[info.agent] = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        return out
    }

    /// `addr:port/transport` (IPv6 in brackets) → the agents' query expression.
    static func expression(service: String, client: String?) -> String? {
        guard let slash = service.lastIndex(of: "/"), let colon = service[..<slash].lastIndex(of: ":") else { return nil }
        var host = String(service[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let port = UInt16(service[service.index(after: colon)..<slash]), !host.isEmpty else { return nil }
        let transport = String(service[service.index(after: slash)...])
        var expr = "host \(host) and port \(port)"
        if ["tcp", "udp"].contains(transport) { expr += " and \(transport)" }
        if let client, !client.isEmpty {
            guard client.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else { return nil }
            expr += " and host \(client)"
        }
        return expr
    }

    static func percentEncode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    /// `GET /api/v1/drilldown/packets?service=ID[&client=IP][&from=T][&to=T][&limit=N]`.
    static func packets(_ request: Request, correlator: Correlator, logger: Logger) async -> Response {
        guard let service = ServerAPI.parameter(request, "service") else {
            return Problem.badRequest("service is required (e.g. service=10.0.0.5:443/tcp)")
        }
        let client = ServerAPI.parameter(request, "client")
        guard let expr = expression(service: service, client: client) else {
            return Problem.badRequest("'\(service)' is not a service id ADDRESS:PORT/TRANSPORT (or the client is not an address)")
        }
        let limit = Int(ServerAPI.parameter(request, "limit") ?? "") ?? 10_000
        guard (1...1_000_000).contains(limit) else { return Problem.badRequest("limit must be 1...1000000") }
        let from = ServerAPI.parameter(request, "from"), to = ServerAPI.parameter(request, "to")
        let agents = Set(correlator.agentViews(service: service).map(\.agent))
        guard !agents.isEmpty else { return Problem.notFound("no agent has reported \(service)") }
        let apis = queryAPIs(correlator).filter { agents.contains($0.key) }
        guard !apis.isEmpty else {
            return Problem.make(409, "the agents that saw \(service) (\(agents.sorted().joined(separator: ", "))) announce no query API (capture --listen / --advertise-api)").response()
        }
        var query = "q=\(percentEncode(expr))&limit=\(limit)"
        if let from { query += "&from=\(percentEncode(from))" }
        if let to { query += "&to=\(percentEncode(to))" }
        // libcurl blocks: one thread per agent, off the async pool.
        let answers: [(String, HTTPFetch.Result)] = await withTaskGroup(of: (String, HTTPFetch.Result).self) { group in
            for (agent, api) in apis {
                let url = api + "/api/v1/packets?" + query
                group.addTask {
                    await withCheckedContinuation { done in
                        Thread { done.resume(returning: (agent, HTTPFetch.get(url, timeoutSeconds: 60))) }.start()
                    }
                }
            }
            var out: [(String, HTTPFetch.Result)] = []
            for await answer in group { out.append(answer) }
            return out.sorted { $0.0 < $1.0 }
        }
        let good = answers.filter { $0.1.status == 200 }
        let failed = answers.filter { $0.1.status != 200 }.map { "\($0.0): \($0.1.error ?? "HTTP \($0.1.status)")" }
        guard !good.isEmpty else { return Problem.make(502, "no agent answered: \(failed.joined(separator: "; "))").response() }
        let merged: [UInt8]
        do { merged = try PcapMerge.merge(good.map(\.1.body)) } catch {
            return Problem.make(502, "agents answered pcaps that cannot be merged: \(error)").response()
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/vnd.tcpdump.pcap"
        // Which agents answered, for a client that wants to know (the pcap itself cannot say).
        headers[.contentDisposition] = "attachment; filename=\"drilldown.pcap\"; agents=\"\(good.map(\.0).joined(separator: ","))\""
        if !failed.isEmpty { logger.warning("drill-down: some agents did not answer", metadata: ["agents": "\(failed)"]) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: merged)))
    }
}
