import Agent
import Foundation
import Hummingbird
import Indexer
import Logging

/// The agent's HTTP API (Schemas/agent-api.yaml):
/// - `GET /api/v1/packets?q=EXPR&from=&to=&limit=&link_type=` streams `application/vnd.tcpdump.pcap`;
/// - `GET /api/v1/segments?from=&to=` lists the catalog;
/// - `GET /api/v1/status` returns the counters of the agent writing the store.
/// Bad parameters answer 400 with an RFC 9457 problem body (with the offending position for `q`).
public enum AgentAPI {
    /// Packets a query returns when the request names no limit, and the most it may ask for.
    public static let defaultLimit = 1_000_000
    public static let maxLimit = 100_000_000

    /// Builds the router: every route of the API is declared here.
    public static func router(store: String, logger: Logger) -> Router<BasicRequestContext> {
        let layout = StoreLayout(root: store)
        let router = Router()
        router.get("api/v1/packets") { request, _ -> Response in
            packets(request, layout: layout, logger: logger)
        }
        router.get("api/v1/segments") { request, _ -> Response in
            let from: Int64?, to: Int64?
            do throws(ParameterError) {
                (from, to) = try timeRange { parameter(request, $0) }
            } catch { return Problem.badRequest(error.description) }
            guard let catalog = try? SegmentCatalog(readingFrom: layout) else {
                return Problem(title: "Service Unavailable", status: 503, detail: "catalog unreadable").response()
            }
            return jsonResponse((try? encoder.encode(catalog.segments(from: from, to: to))) ?? Data("[]".utf8))
        }
        router.get("api/v1/status") { _, _ -> Response in
            guard let report = try? StatusReport.read(layout: layout) else {
                return Problem(title: "Not Found", status: 404, detail: "no agent has written status for this store yet").response()
            }
            return jsonResponse((try? StatusReport.encoder.encode(report)) ?? Data())
        }
        return router
    }

    /// An application serving the API on `host:port`.
    public static func application(store: String, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        Application(router: router(store: store, logger: logger),
                    configuration: .init(address: .hostname(host, port: port), serverName: "vigie-agent"),
                    logger: logger)
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    /// A query parameter, percent-decoded (`+` is a space, as in HTML forms).
    static func parameter(_ request: Request, _ name: String) -> String? {
        guard let raw = request.uri.queryParameters[Substring(name)] else { return nil }
        let plus = raw.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }

    struct ParameterError: Error, CustomStringConvertible {
        var description: String
    }

    /// `from`/`to` parameters; `param` looks a query parameter up by name.
    static func timeRange(_ param: (String) -> String?) throws(ParameterError) -> (Int64?, Int64?) {
        var bounds: [Int64?] = []
        for name in ["from", "to"] {
            guard let v = param(name) else { bounds.append(nil); continue }
            guard let t = TimeParser.parse(v) else {
                throw ParameterError(description: "'\(name)': '\(v)' is not a time (RFC 3339, epoch seconds, or e.g. '15m ago')")
            }
            bounds.append(t)
        }
        if let f = bounds[0], let t = bounds[1], f > t { throw ParameterError(description: "'from' is after 'to'") }
        return (bounds[0], bounds[1])
    }

    static func packets(_ request: Request, layout: StoreLayout, logger: Logger) -> Response {
        let text = parameter(request, "q") ?? ""
        let query: Query
        do {
            query = try QueryParser.parse(text)
        } catch {
            return Problem.badRequest("q: \(error.message)", position: error.offset, length: error.length)
        }
        let from: Int64?, to: Int64?
        do throws(ParameterError) {
            (from, to) = try timeRange { parameter(request, $0) }
        } catch { return Problem.badRequest(error.description) }
        var limit = defaultLimit
        if let l = parameter(request, "limit") {
            guard let n = Int(l), n > 0, n <= maxLimit else { return Problem.badRequest("'limit' must be 1...\(maxLimit)") }
            limit = n
        }
        var linkType: UInt32?
        if let l = parameter(request, "link_type") {
            guard let n = UInt32(l) else { return Problem.badRequest("'link_type' must be a LINKTYPE_ number") }
            linkType = n
        }
        guard let catalog = try? SegmentCatalog(readingFrom: layout) else {
            return Problem(title: "Service Unavailable", status: 503, detail: "catalog unreadable").response()
        }
        let lower = max(from ?? .min, query.after ?? .min), upper = min(to ?? .max, query.before ?? .max)
        if lower > upper { return Problem.badRequest("the time range is empty ('after'/'from' is after 'before'/'to')") }
        var refs = catalog.queryRefs(from: lower == .min ? nil : lower, to: upper == .max ? nil : upper)
        let linkTypes = Set(refs.map(\.linkType))
        if let lt = linkType {
            refs = refs.filter { $0.linkType == lt }
        } else if linkTypes.count > 1 {
            return Problem.badRequest("segments in range have link types \(linkTypes.sorted()); add link_type=N to choose one")
        }
        let outLink = linkType ?? linkTypes.first ?? 1
        let nano = refs.contains { $0.nanosecond }
        let engine = QueryEngine(segments: refs)
        let req = QueryRequest(query: query, from: from, to: to, limit: limit, linkType: linkType)
        let stream = PcapStream()
        stream.start(engine: engine, request: req, linkType: outLink, nanosecond: nano) { stats, error in
            if let error {
                logger.warning("query failed", metadata: ["q": "\(text)", "error": "\(error)"])
            } else if let stats {
                logger.debug("query done", metadata: ["q": "\(text)", "packets": "\(stats.packets)", "indexed": "\(stats.segmentsIndexed)", "scanned": "\(stats.segmentsScanned)"])
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/vnd.tcpdump.pcap"
        headers[.contentDisposition] = "attachment; filename=\"vigie.pcap\""
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await stream.write(to: &writer)
        })
    }
}
