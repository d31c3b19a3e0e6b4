import Correlation
import Transport
import Foundation
import Hummingbird
import Logging
import NIOCore
import PcapFormat
#if canImport(Glibc)
import Glibc
#endif

/// Drill-down from a service to its packets: the server asks every agent that saw the service
/// (agents announce their query API in `agent_health.query_api`) for the packets of the requested
/// time range, and answers one pcap merged in time order. Nothing is copied centrally beyond the
/// answer being built; the answer is bounded by `limit` packets per agent.
enum DrillDown {
    /// The header the server sends on its own drill-down calls; a drill-down request carrying it is a loop (508).
    static let loopHeader = "vigie-drilldown"
    /// The caller's identity passed to the agent (it trusts it only with the drill-down credential).
    static let onBehalfHeader = "Vigie-On-Behalf-Of"

    /// Agents' announced query APIs by agent id, from their last `agent_health` record (any source).
    static func queryAPIs(_ correlator: Correlator) -> [String: String] {
        var out: [String: String] = [:]
        for (info, _) in correlator.agentList() {
            if let health = info.health, let url = queryAPI(ofHealth: health) { out[info.agent] = url }
        }
        return out
    }

    /// The `query_api` of an `agent_health` line (nil unless the line is a JSON object with a
    /// string `query_api`), read by the records' own scanner.
    static func queryAPI(ofHealth line: String) -> String? { RecordParser.string(.queryAPI, of: line) }

    /// `addr:port/transport` (IPv6 in brackets) → the agents' query expression.
    static func expression(service: String, client: String?) -> String? {
        // A tenant-scoped id (`vxlan:100/10.0.0.5:443/tcp`): the agents index the innermost
        // packet and the tunnel identity, so the expression names the tenant (`vxlan 100`) and the
        // inner service; packets of another tenant reusing the same addresses stay out.
        var service = Substring(service)
        var tenantTerm = ""
        if let first = service.firstIndex(of: "/"), first != service.lastIndex(of: "/") {
            guard ServiceID.isTenant(service[..<first]), let term = queryTerm(tenant: service[..<first]) else { return nil }
            tenantTerm = term + " and "
            service = service[service.index(after: first)...]
        }
        guard let slash = service.lastIndex(of: "/"), let colon = service[..<slash].lastIndex(of: ":") else { return nil }
        var host = String(service[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let port = UInt16(service[service.index(after: colon)..<slash]), !host.isEmpty,
              host.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == "." || $0 == ":") }) else { return nil }
        let transport = String(service[service.index(after: slash)...])
        var expr = tenantTerm + "host \(host) and port \(port)"
        if ["tcp", "udp"].contains(transport) { expr += " and \(transport)" }
        if let client, !client.isEmpty {
            guard client.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == "." || $0 == ":") }) else { return nil }
            expr += " and host \(client)"
        }
        return expr
    }

    /// The agents' query term for a tenant prefix (`vxlan:100` -> `vxlan 100`, `pppoe:7` ->
    /// `pppoes 7`, docs/query-language.md); nil for a kind the query language does not name.
    static func queryTerm(tenant: Substring) -> String? {
        guard let colon = tenant.firstIndex(of: ":") else { return nil }
        let id = tenant[tenant.index(after: colon)...]
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        switch tenant[..<colon] {
        case "vxlan", "geneve", "gre", "gtp", "erspan", "mpls": return "\(tenant[..<colon]) \(id)"
        case "pppoe": return "pppoes \(id)"
        default: return nil
        }
    }

    static func percentEncode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    /// `from`/`to` as forwarded: at most 64 bytes of printable ASCII (the agent parses them).
    static func validTime(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// Limits the agent fetches in flight across all requests.
    final class Fetcher: @unchecked Sendable {
        // @unchecked: `inFlight` is only touched under `lock`.
        private let lock = NSLock()
        private var inFlight = 0
        let config: DrillDownConfig
        /// Every drill-down's audit line and counters.
        let audit = DrillDownAudit()

        init(config: DrillDownConfig) { self.config = config }

        /// Takes `n` slots, all or none.
        func acquire(_ n: Int) -> Bool {
            lock.lock(); defer { lock.unlock() }
            guard inFlight + n <= max(1, config.maxConcurrentFetches) else { return false }
            inFlight += n
            return true
        }

        func release(_ n: Int) {
            lock.lock(); defer { lock.unlock() }
            inFlight = max(0, inFlight - n)
        }
    }

    /// One agent's outcome.
    enum Outcome: Sendable {
        case pcap([UInt8])
        /// Not contacted: the policy refused the target.
        case refused(String)
        /// Contacted, no answer.
        case failed(HTTPFetch.Failure)
        /// An HTTP answer other than 200: its status and a passed-through problem detail.
        case status(Int, String?)
    }

    /// Is `address:port` this server itself?
    static func isSelf(_ address: [UInt8], port: Int, config: DrillDownConfig, local: [[UInt8]]) -> Bool {
        let a = IPAddressText.unmapped(address)
        for own in config.ownAddresses where own.port == port {
            let ownBytes = IPAddressText.parse(own.host).map(IPAddressText.unmapped)
            if let ownBytes, !IPAddressText.isWildcard(ownBytes) {
                if ownBytes == a || (IPAddressText.isLoopback(ownBytes) && IPAddressText.isLoopback(a)) { return true }
            } else {
                // Wildcard or a host name: any address of this machine is the server.
                if IPAddressText.isLoopback(a) || IPAddressText.isWildcard(a) || local.contains(where: { IPAddressText.unmapped($0) == a }) { return true }
            }
        }
        return false
    }

    /// Checks the addresses of `api` against the policy (resolving a DNS name: call from a thread
    /// of its own); the `HOST:PORT:ADDRESS` pin to connect to, or why not.
    static func admit(_ api: QueryAPI, config: DrillDownConfig) -> Result<[String], QueryAPI.Invalid> {
        if config.httpsOnly && !api.https { return .failure(.init(description: "http:// refused (--drilldown-https-only)")) }
        let addresses = api.literal.map { [$0] } ?? IPAddressText.resolve(api.host)
        guard !addresses.isEmpty else { return .failure(.init(description: "host '\(api.host)' does not resolve")) }
        let local = IPAddressText.localAddresses()
        for a in addresses {
            guard config.allow.contains(where: { $0.contains(a) }) else {
                return .failure(.init(description: "address \(IPAddressText.format(IPAddressText.unmapped(a))) is outside --drilldown-allow"))
            }
            if isSelf(a, port: api.port, config: config, local: local) {
                return .failure(.init(description: "\(IPAddressText.format(IPAddressText.unmapped(a))):\(api.port) is this server"))
            }
            // A token never travels in clear text beyond this machine.
            if config.token != nil && !api.https && !IPAddressText.isLoopback(a) {
                return .failure(.init(description: "http:// to a non-loopback address with a drill-down token; use https"))
            }
        }
        guard api.literal == nil, let first = addresses.first else { return .success([]) }
        let text = IPAddressText.format(IPAddressText.unmapped(first))
        return .success(["\(api.host):\(api.port):\(first.count == 16 && IPAddressText.unmapped(first).count == 16 ? "[\(text)]" : text)"])
    }

    /// The `detail` of an agent's problem answer when it is short printable ASCII, else nil
    /// (nothing else of an agent's answer reaches the client).
    static func problemDetail(_ body: [UInt8]) -> String? {
        guard body.count <= 4096, let o = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let detail = o["detail"] as? String, !detail.isEmpty, detail.utf8.count <= 200,
              detail.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        return detail
    }

    /// Fetches the packets of one agent (blocking: runs on a thread of its own).
    static func fetch(agent: String, api: QueryAPI, pathAndQuery: String, identity: String, config: DrillDownConfig) -> Outcome {
        let pins: [String]
        switch admit(api, config: config) {
        case .failure(let why): return .refused(why.description)
        case .success(let p): pins = p
        }
        var options = HTTPFetch.Options()
        options.timeoutSeconds = config.timeoutSeconds
        options.connectTimeoutSeconds = config.connectTimeoutSeconds
        options.maxBytes = config.maxResponseBytes
        options.caFile = config.caFile
        options.certFile = config.certFile
        options.keyFile = config.keyFile
        options.resolve = pins
        options.headers = ["Vigie-Drilldown: 1", "\(onBehalfHeader): \(identity)", "Accept: application/vnd.tcpdump.pcap"]
        if let token = config.token { options.headers.append("Authorization: Bearer \(token)") }
        let r = HTTPFetch.get(api.url(pathAndQuery), options: options)
        if let failure = r.failure { return .failed(failure) }
        if r.status == 200 { return .pcap(r.body) }
        return .status(r.status, (400..<500).contains(r.status) ? problemDetail(r.body) : nil)
    }

    /// `GET /api/v1/drilldown/packets?service=ID[&client=IP][&from=T][&to=T][&limit=N]`.
    static func packets(_ request: Request, correlator: Correlator, config api: ServerAPIConfig, fetcher: Fetcher, logger: Logger) async -> Response {
        let config = api.drillDown
        if request.headers.contains(where: { $0.name.canonicalName == loopHeader }) {
            return Problem.make(508, "this request comes from a drill-down (Vigie-Drilldown header): a server does not drill down on its own behalf").response()
        }
        guard config.enabled else {
            return Problem.make(403, "drill-down is disabled: start the server with --drilldown-allow CIDR (the agents' query API addresses)").response()
        }
        guard let service = ServerAPI.parameter(request, "service") else {
            return Problem.badRequest("service is required (e.g. service=10.0.0.5:443/tcp)")
        }
        let client = ServerAPI.parameter(request, "client")
        guard let expr = expression(service: service, client: client) else {
            return Problem.badRequest("'service' is not a service id ADDRESS:PORT/TRANSPORT (or the client is not an address)")
        }
        let limit = Int(ServerAPI.parameter(request, "limit") ?? "") ?? 10_000
        guard (1...1_000_000).contains(limit) else { return Problem.badRequest("limit must be 1...1000000") }
        let from = ServerAPI.parameter(request, "from"), to = ServerAPI.parameter(request, "to")
        for (name, value) in [("from", from), ("to", to)] {
            if let value, !validTime(value) { return Problem.badRequest("'\(name)' must be at most 64 bytes of printable ASCII (an RFC 3339 time)") }
        }
        let agents = Set(correlator.agentViews(service: service).map(\.agent))
        guard !agents.isEmpty else { return Problem.notFound("no agent has reported \(service)") }
        let directory = api.search.directory(correlator, config)
        let selected = AgentFanOut.targets(agents.sorted(), directory: directory, api: api, correlator: correlator)
        let targets = selected.targets
        var outcomes = selected.refused
        if targets.isEmpty && outcomes.isEmpty {
            return Problem.make(409, "the agents that saw \(service) (\(agents.sorted().joined(separator: ", "))) announce no query API (capture --listen / --advertise-api)").response()
        }
        var pathAndQuery = "/api/v1/packets?q=\(percentEncode(expr))&limit=\(limit)"
        if let from { pathAndQuery += "&from=\(percentEncode(from))" }
        if let to { pathAndQuery += "&to=\(percentEncode(to))" }
        if !targets.isEmpty {
            // A request holds at most the whole cap: more agents than that are fetched in turns.
            let slots = min(targets.count, max(1, config.maxConcurrentFetches))
            guard fetcher.acquire(slots) else {
                return Problem.make(503, "too many drill-downs in progress (at most \(config.maxConcurrentFetches) agent fetches at once); retry shortly")
                    .response(headers: [.retryAfter: "1"])
            }
            let identity = api.access.callerName(authorization: request.headers[.authorization])
            outcomes += await AgentFanOut.run(targets, pathAndQuery: pathAndQuery, identity: identity, config: config, slots: slots)
            fetcher.release(slots)
        }
        let report = AgentFanOut.Report(outcomes)
        let good = report.answered, failed = report.failed
        let who = api.access.callerName(authorization: request.headers[.authorization])
        func audit(_ status: Int, bytes: Int = 0) {
            fetcher.audit.record(who: who, service: service, client: client, from: from, to: to, answered: good.map(\.agent), failed: failed,
                                 bytes: bytes, status: status)
        }
        guard !good.isEmpty else {
            let detail = "no agent answered: \(failed.joined(separator: "; "))"
            let status = report.noAnswerStatus
            audit(status)
            return Problem.make(status, detail).response()
        }
        let merged: [UInt8]
        do { merged = try PcapMerge.merge(good.map(\.pcap)) } catch {
            audit(502)
            return Problem.make(502, "agents \(good.map(\.agent).joined(separator: ", ")) answered data that is not a mergeable pcap").response()
        }
        audit(200, bytes: merged.count)
        var headers = HTTPFields()
        headers[.contentType] = "application/vnd.tcpdump.pcap"
        // Which agents answered, for a client that wants to know (the pcap itself cannot say).
        headers[.contentDisposition] = "attachment; filename=\"drilldown.pcap\"; agents=\"\(good.map(\.agent).joined(separator: ","))\""
        if !failed.isEmpty { logger.warning("drill-down: some agents did not answer", metadata: ["agents": "\(failed)"]) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: merged)))
    }
}
