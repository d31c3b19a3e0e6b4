import Agent
import Foundation
import HTTPListener
import Hummingbird
import Indexer
import Logging
import Observability
import SystemIO

/// The agent's HTTP API (Schemas/agent-api.yaml):
/// - `GET /api/v1/packets?q=EXPR&from=&to=&limit=&link_type=` streams `application/vnd.tcpdump.pcap`;
/// - `GET /api/v1/segments?from=&to=` lists the catalog;
/// - `GET /api/v1/status` returns the counters of the agent writing the store.
/// - `GET /metrics`: the agent's metrics (``AgentMetrics``, Prometheus text);
/// - `GET /healthz`, `/readyz`: liveness and readiness (``AgentReadiness``), with no credential.
/// Bad parameters answer 400 with an RFC 9457 problem body (with the offending position for `q`).
/// Who may call what is ``AgentAccess``; every extraction is written to the ``AuditLog``.
public enum AgentAPI {
    /// Packets a query returns when the request names no limit, and the most it may ask for.
    public static let defaultLimit = 1_000_000
    public static let maxLimit = 100_000_000

    /// Builds the router: every route of the API is declared here.
    public static func router(store: String, access: AgentAccess = AgentAccess(), metrics: AgentMetrics, readiness: AgentReadiness,
                              registry: ConnectionRegistry? = nil, logger: Logger) -> Router<AgentRequestContext> {
        let layout = StoreLayout(root: store)
        let audit = AuditLog(logger: Logger(label: "vigie.audit"), metrics: metrics.queries)
        if let registry { metrics.watch(connections: registry) }
        let router = Router(context: AgentRequestContext.self)
        router.add(middleware: AgentAccessMiddleware(access: access))
        addMonitoring(router, layout: layout, metrics: metrics, readiness: readiness)
        router.get("api/v1/packets") { request, context -> Response in
            packets(request, caller: context.caller, headOnly: context.isHead, layout: layout, audit: audit, logger: logger)
        }
        router.get("api/v1/segments") { request, _ -> Response in
            let from: Int64?, to: Int64?
            do throws(ParameterError) {
                (from, to) = try timeRange(QueryParameters(rawQuery: request.uri.query))
            } catch { return Problem.badRequest(error.description) }
            guard let catalog = try? SegmentCatalog(readingFrom: layout) else {
                return Problem.make(503, "catalog unreadable").response()
            }
            return jsonResponse((try? encoder.encode(catalog.segments(from: from, to: to))) ?? Data("[]".utf8))
        }
        PinRoutes.add(router, layout: layout, audit: audit, logger: logger)
        RecordingRoutes.add(router, store: store, audit: audit, logger: logger)
        router.get("api/v1/status") { _, _ -> Response in
            guard let report = try? StatusReport.read(layout: layout) else {
                return Problem.make(404, "no agent has written status for this store yet").response()
            }
            return jsonResponse((try? StatusReport.encoder.encode(report)) ?? Data())
        }
        return router
    }

    /// `/healthz`, `/readyz` and `/metrics`: on the API listener and on the metrics-only one.
    static func addMonitoring(_ router: Router<AgentRequestContext>, layout: StoreLayout, metrics: AgentMetrics, readiness: AgentReadiness) {
        metrics.watch(layout: layout)
        router.get("healthz") { _, _ -> Response in Response(status: .ok) }
        router.get("readyz") { _, _ -> Response in
            let reasons = readiness.reasons(layout: layout)
            guard reasons.isEmpty else { return Problem.make(503, "not ready: " + reasons.joined(separator: "; ")).response() }
            return Response(status: .ok)
        }
        router.get("metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = MetricsExposition.contentType
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition.render())))
        }
    }

    /// An application serving the API as `listener` says (TLS, limits); throws when the listener
    /// would be exposed without protection, or its TLS files are unusable.
    public static func application(store: String, listener: ListenerConfig, access: AgentAccess, metrics: AgentMetrics,
                                   readiness: AgentReadiness, logger: Logger) throws(ListenerError) -> some ApplicationProtocol {
        try listener.checkExposure(credentials: !access.isOpen, program: "vigie-agent")
        let registry = ListenerServer.registry(for: listener)
        let routes = router(store: store, access: access, metrics: metrics, readiness: readiness, registry: registry, logger: logger)
        return Application(responder: HeadAsGetResponder(routes.buildResponder(), paths: paths),
                           server: try ListenerServer.builder(listener, registry: registry),
                           configuration: listener.applicationConfiguration(serverName: "vigie-agent"),
                           logger: logger)
    }

    /// The metrics-only listener for scrapers (`--metrics-listen`): `/metrics`, `/healthz`, `/readyz`.
    /// On loopback it asks for no credential; elsewhere it needs a token file (any role may read
    /// metrics) or a client CA, as the API does (docs/security.md).
    public static func metricsApplication(store: String, listener: ListenerConfig, access: AgentAccess, metrics: AgentMetrics,
                                          readiness: AgentReadiness, logger: Logger) throws(ListenerError) -> some ApplicationProtocol {
        try listener.checkExposure(credentials: !access.isOpen, program: "vigie-agent --metrics-listen")
        let registry = ListenerServer.registry(for: listener)
        let router = Router(context: AgentRequestContext.self)
        router.add(middleware: AgentAccessMiddleware(access: access))
        addMonitoring(router, layout: StoreLayout(root: store), metrics: metrics, readiness: readiness)
        return Application(responder: HeadAsGetResponder(router.buildResponder(), paths: ["/healthz", "/readyz", "/metrics"]),
                           server: try ListenerServer.builder(listener, registry: registry),
                           configuration: listener.applicationConfiguration(serverName: "vigie-agent"),
                           logger: logger)
    }

    /// The paths of the routes ``router(store:access:metrics:readiness:registry:logger:)`` declares
    /// (each answers GET and HEAD; other methods 405).
    public static let paths: Set<String> = ["/healthz", "/readyz", "/metrics", "/api/v1/packets", "/api/v1/segments", "/api/v1/status", "/api/v1/pins",
                                           "/api/v1/recordings"]

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    struct ParameterError: Error, CustomStringConvertible {
        var description: String
    }

    /// The `from`/`to` parameters.
    static func timeRange(_ parameters: QueryParameters) throws(ParameterError) -> (Int64?, Int64?) {
        var bounds: [Int64?] = []
        for name in ["from", "to"] {
            guard let v = parameters[name] else { bounds.append(nil); continue }
            do throws(TimeParser.Failure) {
                bounds.append(try TimeParser.value(v))
            } catch {
                throw ParameterError(description: "'\(name)': \(error.description)")
            }
        }
        if let f = bounds[0], let t = bounds[1], f > t { throw ParameterError(description: "'from' is after 'to'") }
        return (bounds[0], bounds[1])
    }

    /// `GET /api/v1/packets`; with `headOnly` (a HEAD), the request is validated and answered with
    /// GET's status and headers, but no query runs: HEAD has no body to stream it into, and a query
    /// started for it would wait forever for a reader.
    static func packets(_ request: Request, caller: Caller, headOnly: Bool = false, layout: StoreLayout, audit: AuditLog, logger: Logger) -> Response {
        let started = WallClock.monotonicNanos()
        let parameters = QueryParameters(rawQuery: request.uri.query)
        let text = parameters["q"] ?? ""
        func refuse(_ response: Response, _ reason: String) -> Response {
            audit.refusal(caller, query: text, reason: reason)
            return response
        }
        let query: Query
        do {
            query = try QueryParser.parse(text)
        } catch {
            return refuse(Problem.badRequest("q: \(error.message)", position: error.offset, length: error.length), error.description)
        }
        let from: Int64?, to: Int64?
        do throws(ParameterError) {
            (from, to) = try timeRange(parameters)
        } catch { return refuse(Problem.badRequest(error.description), error.description) }
        var limit = defaultLimit
        if let l = parameters["limit"] {
            guard let n = Int(l), n > 0, n <= maxLimit else { return refuse(Problem.badRequest("'limit' must be 1...\(maxLimit)"), "limit") }
            limit = n
        }
        var linkType: UInt32?
        if let l = parameters["link_type"] {
            guard let n = UInt32(l) else { return refuse(Problem.badRequest("'link_type' must be a LINKTYPE_ number"), "link_type") }
            linkType = n
        }
        guard let catalog = try? SegmentCatalog(readingFrom: layout) else {
            return refuse(Problem.make(503, "catalog unreadable").response(), "catalog unreadable")
        }
        let lower = max(from ?? .min, query.after ?? .min), upper = min(to ?? .max, query.before ?? .max)
        if lower > upper { return refuse(Problem.badRequest("the time range is empty ('after'/'from' is after 'before'/'to')"), "empty range") }
        var refs = catalog.queryRefs(from: lower == .min ? nil : lower, to: upper == .max ? nil : upper)
        let linkTypes = Set(refs.map(\.linkType))
        if let lt = linkType {
            refs = refs.filter { $0.linkType == lt }
        } else if linkTypes.count > 1 {
            return refuse(Problem.badRequest("segments in range have link types \(linkTypes.sorted()); add link_type=N to choose one"), "link types")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/vnd.tcpdump.pcap"
        headers[.contentDisposition] = "attachment; filename=\"vigie.pcap\""
        // Length unknown, as for GET (chunked); NIO sends no body bytes for a HEAD.
        if headOnly { return Response(status: .ok, headers: headers, body: ResponseBody { writer in try await writer.finish(nil) }) }
        let outLink = linkType ?? linkTypes.first ?? 1
        let nano = refs.contains { $0.nanosecond }
        let engine = QueryEngine(segments: refs)
        let req = QueryRequest(query: query, from: from, to: to, limit: limit, linkType: linkType)
        let stream = PcapStream()
        stream.start(engine: engine, request: req, linkType: outLink, nanosecond: nano) { stats, error in
            audit.extraction(caller, query: text, from: lower == .min ? nil : lower, to: upper == .max ? nil : upper,
                             packets: stats?.packets ?? 0, bytes: stats?.bytes ?? 0, seconds: Double(WallClock.monotonicNanos() - started) / 1e9,
                             outcome: error.map { "failed: \($0)" } ?? "served", failed: error != nil)
            if let error {
                logger.warning("query failed", metadata: ["q": "\(text)", "error": "\(error)"])
            } else if let stats {
                logger.debug("query done", metadata: ["q": "\(text)", "packets": "\(stats.packets)", "indexed": "\(stats.segmentsIndexed)", "scanned": "\(stats.segmentsScanned)"])
            }
        }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await stream.write(to: &writer)
        })
    }
}
