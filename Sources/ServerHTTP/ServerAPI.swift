import Correlation
import Foundation
import HTTPListener
import Hummingbird
import Logging
import NIOCore

/// Settings of the HTTP API.
public struct ServerAPIConfig: Sendable {
    /// Bearer token → agent id, from `--token AGENT=TOKEN` (visible in `ps`: prefer the token file).
    /// With no agent token at all, ingest is not authenticated (development, loopback only).
    public var tokens: [String: String] = [:]
    /// Tokens of `--token-file` (`agent`, `read`, `operator`), re-read on SIGHUP.
    public var tokenStore = TokenStore(entries: [])
    /// The listener is reachable from other machines: every route needs a token, even when none of
    /// its kind is configured (then nobody may call it).
    public var closedByDefault = false
    /// Operator and read tokens of every other route (``OperatorAccess``). Default: all open.
    public var access = OperatorAccess()
    /// More Prometheus text appended to `/metrics` (the server's exporters), rendered per scrape.
    public var extraMetrics: (@Sendable () -> String)?
    /// Largest accepted request body, as received and after gzip decompression.
    public var maxBodyBytes = 16 * 1024 * 1024
    public var maxDecompressedBytes = 64 * 1024 * 1024
    /// Longest ingested record line in bytes: a longer line is a malformed line (400, not applied).
    public var maxRecordBytes = RecordParser.defaultMaxLineBytes
    /// Per-agent limit of authenticated ingest (429 + Retry-After above it); nil: no limit.
    public var rateLimiter: IngestRateLimiter?
    /// Which agents the server may ask for packets, where, and with what credential (``DrillDownConfig``).
    /// Default: drill-down disabled.
    public var drillDown = DrillDownConfig()
    public init(tokens: [String: String] = [:]) { self.tokens = tokens }

    /// Ingest needs an agent token.
    var agentTokensRequired: Bool { closedByDefault || !tokens.isEmpty || tokenStore.count(.agent) > 0 }

    /// Agents that hold a token (the flags' and the file's).
    var tokenAgents: Set<String> { Set(tokens.values).union(tokenStore.names(.agent)) }

    /// The agent a bearer token belongs to, compared in constant time over every token.
    func agent(forToken candidate: String) -> String? {
        var found: String?
        if let e = tokenStore.identify(candidate), e.role == .agent { found = e.name }
        let c = Array(candidate.utf8)
        for (token, agent) in tokens where TokenStore.constantTimeEqual(Array(token.utf8), c) && found == nil { found = agent }
        return found
    }
}

/// The server's HTTP API (Schemas/server-api.yaml). Every route is declared in `router`.
public enum ServerAPI {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        return e
    }()

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func text(_ s: String, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    /// A query parameter, percent-decoded once: Hummingbird's `queryParameters` already decodes
    /// `%XX`, so nothing more is done here (`%2B` is `+`, and a literal `+` stays `+`: an RFC 3339
    /// `+01:00` offset survives; `+` is not a space outside HTML forms).
    static func parameter(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    /// A boolean query parameter: absent is false; `true`/`1` and `false`/`0`, anything else 400.
    static func flag(_ request: Request, _ name: String) -> Result<Bool, RefusedParameter> {
        switch parameter(request, name) {
        case nil, "false", "0": return .success(false)
        case "true", "1": return .success(true)
        case let other?: return .failure(RefusedParameter(response: Problem.badRequest("'\(name)' must be true, false, 1 or 0, not '\(other)'")))
        }
    }

    struct RefusedParameter: Error { var response: Response }

    /// The media type of the request (`Content-Type` without parameters, lower case), "" when absent.
    static func mediaType(_ request: Request) -> String {
        let value = request.headers[.contentType] ?? ""
        return (value.split(separator: ";", maxSplits: 1).first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Largest `GET /api/v1/flows` answer (the newest lines that fit).
    static let maxFlowsAnswerBytes = 16 << 20

    static let jsonTypes: Set<String> = ["application/json"]
    static let inventoryTypes: Set<String> = ["application/yaml", "application/x-yaml", "text/yaml", "application/json"]
    static let ingestTypes: Set<String> = ["application/x-ndjson", "application/jsonl", "application/json"]

    /// nil when the request's media type is one of `allowed`, else the 415 problem. A JSON body
    /// must say so: a browser's cross-site form post (`text/plain`, `application/x-www-form-urlencoded`,
    /// `multipart/form-data`) never reaches a handler.
    static func unsupportedMediaType(_ request: Request, _ allowed: Set<String>) -> Response? {
        let type = mediaType(request)
        if allowed.contains(type) { return nil }
        let shown = type.isEmpty ? "no Content-Type" : "Content-Type '\(type)'"
        return Problem.make(415, "\(shown) is not accepted here; send \(allowed.sorted().joined(separator: ", "))").response(headers: [.accept: allowed.sorted().joined(separator: ", ")])
    }

    /// The node id of a catch-all path (`/api/v1/nodes/10.0.0.5:443/tcp`, or with `%2F`).
    static func catchAllID(_ context: some RequestContext) -> String {
        let joined = context.parameters.getCatchAll().joined(separator: "/")
        return joined.removingPercentEncoding ?? joined
    }

    static func body(_ request: inout Request, limit: Int) async throws -> [UInt8]? {
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            return nil
        }
    }

    static func tooLarge(_ limit: Int) -> Response { Problem.make(413, "the request body exceeds \(limit) bytes").response() }

    static func decode<T: Decodable>(_ t: T.Type, _ bytes: [UInt8]) throws -> T {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return try d.decode(t, from: Data(bytes))
    }

    public static func router(correlator: Correlator, config: ServerAPIConfig, logger: Logger) -> Router<BasicRequestContext> {
        // HEAD on every GET route answers like GET without the body.
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: OperatorAuthMiddleware(access: config.access))  // first: it covers every route
        router.add(middleware: MethodNotAllowedMiddleware())  // 405 + Allow rather than the router's 404
        router.post("api/v1/ingest") { request, _ -> Response in
            var request = request
            return try await ingest(&request, correlator: correlator, config: config, logger: logger)
        }
        let fetcher = DrillDown.Fetcher(config: config.drillDown)
        router.get("api/v1/drilldown/packets") { request, _ -> Response in
            await DrillDown.packets(request, correlator: correlator, config: config, fetcher: fetcher, logger: logger)
        }
        router.get("api/v1/weather") { request, _ -> Response in
            let all: Bool
            switch flag(request, "all") { case .success(let v): all = v; case .failure(let refused): return refused.response }
            return json(correlator.weather(kinds: all ? nil : [.service, .application]))
        }
        router.get("api/v1/nodes/**") { _, context -> Response in
            let id = catchAllID(context)
            guard let detail = NodeDetail.make(correlator, id) else { return Problem.notFound("no node '\(id)'") }
            return json(detail)
        }
        router.get("api/v1/agents") { _, _ -> Response in
            json(correlator.agentList().map { AgentEntry(agent: $0.info.agent, lastSeen: Timestamp.format($0.info.lastSeen), epoch: $0.info.epoch, fresh: $0.fresh) })
        }
        router.get("api/v1/flows") { request, _ -> Response in
            let limit: Int
            switch parameter(request, "limit") {
            case nil: limit = 100
            case let text?:
                guard let n = Int(text), (1...10_000).contains(n) else { return Problem.badRequest("'limit' must be an integer in 1...10000, not '\(text)'") }
                limit = n
            }
            var lines: [String] = [], bytes = 0
            // Newest first, and at most `maxFlowsAnswerBytes` (each line is at most `maxRecordBytes`).
            for line in correlator.recentFlows(service: parameter(request, "service"), limit: limit).map(\.line) {
                bytes += line.utf8.count + 1
                if bytes > maxFlowsAnswerBytes && !lines.isEmpty { break }
                lines.append(line)
            }
            return text(lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n"), contentType: "application/x-ndjson")
        }

        // Inventory
        router.get("api/v1/inventory") { request, _ -> Response in
            let inv = correlator.inventory
            let format = parameter(request, "format")
            if let format, format != "json" && format != "yaml" { return Problem.badRequest("'format' must be json or yaml, not '\(format)'") }
            let wantsYAML = format == "yaml" || (format == nil && (request.headers[.accept] ?? "").contains("yaml"))
            return wantsYAML ? text(inv.yaml(), contentType: "application/yaml") : json(inv)
        }
        router.put("api/v1/inventory") { request, _ -> Response in
            var request = request
            if let refused = unsupportedMediaType(request, inventoryTypes) { return refused }
            guard let bytes = try await body(&request, limit: config.maxBodyBytes) else { return tooLarge(config.maxBodyBytes) }
            // An empty body is a mistake, not "no inventory": an empty inventory is said explicitly (`nodes: []`).
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
                return Problem.make(422, "the body is empty; send an inventory document (an empty inventory is 'nodes: []')").response()
            }
            do {
                // A JSON body is read as JSON (YAML 1.2 is a superset of JSON, but its parser refuses some
                // JSON texts, e.g. C1 control characters), anything else as YAML.
                let inv = mediaType(request) == "application/json" ? try Inventory.parse(json: Data(bytes))
                    : try Inventory.parse(yaml: String(decoding: bytes, as: UTF8.self))
                try correlator.replaceInventory(inv)
                return json(correlator.inventory)
            } catch { return Problem.inventory(error) }
        }
        router.get("api/v1/inventory/nodes/**") { _, context -> Response in
            let id = catchAllID(context)
            guard let node = correlator.node(id) else { return Problem.notFound("no node '\(id)'") }
            return json(node)
        }
        router.put("api/v1/inventory/nodes/**") { request, context -> Response in
            var request = request
            let id = catchAllID(context)
            if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
            guard let bytes = try await body(&request, limit: config.maxBodyBytes) else { return tooLarge(config.maxBodyBytes) }
            var object = ((try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]) ?? [:]
            if object.isEmpty { return Problem.make(422, "the body must be a JSON node object (kind, name, reduce, rules)").response() }
            if let given = object["id"] {
                // Optional, but when given a string equal to the path's id (`{}` or 0 is not an id).
                guard let bodyID = given as? String else { return Problem.make(422, "node '\(id)', field 'id': not a string").response() }
                if bodyID != id { return Problem.make(422, "node '\(id)', field 'id': the body says '\(bodyID)'").response() }
            }
            object["id"] = id
            do {
                let node = try JSONDecoder().decode(Node.self, from: JSONSerialization.data(withJSONObject: object))
                try correlator.upsertNode(node)
                return json(node)
            } catch let e as InventoryError {
                return Problem.inventory(e)
            } catch let e as DecodingError {
                return Problem.make(422, "node '\(id)': \(describe(e))").response()
            }
        }
        router.delete("api/v1/inventory/nodes/**") { _, context -> Response in
            do {
                try correlator.removeNode(catchAllID(context))
                return Response(status: .noContent)
            } catch { return Problem.inventory(error) }
        }
        router.get("api/v1/inventory/edges") { _, _ -> Response in json(correlator.inventory.edges) }
        router.put("api/v1/inventory/edges") { request, _ -> Response in
            var request = request
            if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
            guard let bytes = try await body(&request, limit: config.maxBodyBytes) else { return tooLarge(config.maxBodyBytes) }
            do {
                let edge = try JSONDecoder().decode(ImpactEdge.self, from: Data(bytes))
                try correlator.upsertEdge(edge)
                return json(edge)
            } catch let e as InventoryError {
                return Problem.inventory(e)
            } catch let e as DecodingError {
                return Problem.make(422, "edge: \(describe(e))").response()
            }
        }
        router.delete("api/v1/inventory/edges") { request, _ -> Response in
            guard let child = parameter(request, "child"), let parent = parameter(request, "parent") else {
                return Problem.badRequest("'child' and 'parent' query parameters are required")
            }
            do {
                try correlator.removeEdge(child: child, parent: parent)
                return Response(status: .noContent)
            } catch { return Problem.inventory(error) }
        }

        // What-if
        router.post("api/v1/whatif") { request, _ -> Response in
            var request = request
            if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
            guard let bytes = try await body(&request, limit: config.maxBodyBytes) else { return tooLarge(config.maxBodyBytes) }
            guard let q = try? decode(WhatIfRequest.self, bytes) else { return Problem.badRequest("body: {\"node\": ID, \"state\": \"DOWN\"}") }
            guard let state = Health(name: q.state) else { return Problem.badRequest("'state': '\(q.state)' is not OK, WARNING, DEGRADED, DOWN or UNKNOWN") }
            do {
                return json(try correlator.whatIf(node: q.node, state: state, kinds: q.all == true ? nil : [.service, .application]))
            } catch { return Problem.inventory(error) }
        }

        // Observed dependencies
        router.get("api/v1/dependencies") { request, _ -> Response in
            let wanted = parameter(request, "status")
            if let wanted, DependencyStatus(rawValue: wanted) == nil {
                return Problem.badRequest("'status' must be new, confirmed, stale or gone, not '\(wanted)'")
            }
            return json(correlator.dependencies().filter { wanted == nil || $0.status.rawValue == wanted }.map(DependencyEntry.init))
        }
        router.post("api/v1/dependencies/{id}/confirm") { _, context -> Response in
            guard let id = context.parameters.get("id", as: Int64.self) else { return Problem.badRequest("dependency ids are integers") }
            do { return json(DependencyEntry(try correlator.confirmDependency(id), correlator)) } catch { return Problem.inventory(error) }
        }
        router.post("api/v1/dependencies/{id}/promote") { request, context -> Response in
            var request = request
            guard let id = context.parameters.get("id", as: Int64.self) else { return Problem.badRequest("dependency ids are integers") }
            if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
            guard let bytes = try await body(&request, limit: config.maxBodyBytes) else { return tooLarge(config.maxBodyBytes) }
            guard let q = try? decode(PromoteRequest.self, bytes) else {
                return Problem.badRequest("body: {\"parent\": NODE, \"map\": \"identity\", \"weight\": 1, \"group\": null}")
            }
            guard let map = MapFunction(text: q.map ?? "identity") else { return Problem.make(422, "'map': '\(q.map ?? "")' is not a map function").response() }
            do {
                let d = try correlator.promoteDependency(id, parent: q.parent, map: map, weight: q.weight ?? 1, group: q.group)
                return json(DependencyEntry(d, correlator))
            } catch { return Problem.inventory(error) }
        }

        // Maintenance and acknowledgements
        router.get("api/v1/maintenance") { _, _ -> Response in json(correlator.maintenanceWindows()) }
        router.post("api/v1/maintenance") { request, _ -> Response in
            var request = request
            if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
            guard let bytes = try await body(&request, limit: config.maxBodyBytes) else { return tooLarge(config.maxBodyBytes) }
            guard let q = try? decode(MaintenanceRequest.self, bytes) else {
                return Problem.badRequest("body: {\"node\": ID, \"start\": RFC3339?, \"end\": RFC3339 | \"duration_s\": N, \"comment\": TEXT?}")
            }
            let start: Double, end: Double
            switch MaintenanceRequest.window(q, now: Date().timeIntervalSince1970) {
            case .success(let w): (start, end) = w
            case .failure(let e): return Problem.badRequest(e.message)
            }
            do { return json(try correlator.addMaintenance(node: q.node, start: start, end: end, comment: q.comment), status: .created) }
            catch { return Problem.inventory(error) }
        }
        router.delete("api/v1/maintenance/{id}") { _, context -> Response in
            guard let id = context.parameters.get("id", as: Int64.self) else { return Problem.badRequest("maintenance ids are integers") }
            do { try correlator.removeMaintenance(id: id); return Response(status: .noContent) } catch { return Problem.inventory(error) }
        }
        router.get("api/v1/acks") { _, _ -> Response in json(correlator.acknowledgements()) }
        router.post("api/v1/acks") { request, _ -> Response in
            var request = request
            if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
            guard let bytes = try await body(&request, limit: config.maxBodyBytes) else { return tooLarge(config.maxBodyBytes) }
            guard let q = try? decode(AckRequest.self, bytes) else { return Problem.badRequest("body: {\"node\": ID, \"author\": TEXT?, \"comment\": TEXT?}") }
            do { try correlator.acknowledge(node: q.node, author: q.author, comment: q.comment); return Response(status: .noContent) }
            catch { return Problem.inventory(error) }
        }
        router.delete("api/v1/acks/**") { _, context -> Response in
            do { try correlator.removeAcknowledgement(node: catchAllID(context)); return Response(status: .noContent) }
            catch { return Problem.inventory(error) }
        }

        router.get("api/v1/events") { _, _ -> Response in events(correlator) }
        // HEAD must not subscribe (the stream's body, which unsubscribes, never runs).
        router.head("api/v1/events") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"])
        }
        router.get("metrics") { _, _ -> Response in
            text(MetricsText.render(correlator.metrics) + MetricsText.throttled(config.rateLimiter) + fetcher.audit.metricsText()
                 + (config.extraMetrics?() ?? ""),
                 contentType: "text/plain; version=0.0.4")
        }
        router.get("/") { _, _ -> Response in
            text(WeatherPage.render(correlator.weather(kinds: nil)), contentType: "text/html; charset=utf-8")
        }
        return router
    }

    /// An application serving the API on `host:port`.
    /// An application serving the API as `listener` says (TLS, connection limits); throws when the
    /// listener would be exposed without TLS and tokens, or its TLS files are unusable.
    public static func application(correlator: Correlator, config: ServerAPIConfig, listener: ListenerConfig,
                                   logger: Logger) throws(ListenerError) -> some ApplicationProtocol {
        let credentials = !config.tokenStore.isEmpty || !config.tokens.isEmpty || !config.access.operatorTokens.isEmpty
            || !config.access.readTokens.isEmpty || listener.tls?.requireClientCertificate == true
        try listener.checkExposure(credentials: credentials, program: "vigie-server")
        var config = config
        config.closedByDefault = !listener.isLoopback && !listener.insecure
        config.access.store = config.tokenStore
        config.access.closedByDefault = config.closedByDefault
        let registry = ListenerServer.registry(for: listener)
        let connections = config.extraMetrics
        config.extraMetrics = { MetricsText.connections(registry.counters) + (connections?() ?? "") }
        return Application(router: router(correlator: correlator, config: config, logger: logger),
                           server: try ListenerServer.builder(listener, registry: registry),
                           configuration: listener.applicationConfiguration(serverName: "vigie-server"),
                           logger: logger)
    }

    /// The same on plain HTTP with default limits (tests, loopback).
    public static func application(correlator: Correlator, config: ServerAPIConfig, host: String, port: Int,
                                   logger: Logger) throws(ListenerError) -> some ApplicationProtocol {
        try application(correlator: correlator, config: config, listener: ListenerConfig(host: host, port: port), logger: logger)
    }

    static func describe(_ e: DecodingError) -> String {
        switch e {
        case .keyNotFound(let k, let c): return "field '\((c.codingPath.map(\.stringValue) + [k.stringValue]).joined(separator: "."))' is missing"
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return "field '\(c.codingPath.map(\.stringValue).joined(separator: "."))': \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    // MARK: Ingest

    static func ingest(_ request: inout Request, correlator: Correlator, config: ServerAPIConfig, logger: Logger) async throws -> Response {
        var agent: String?
        if config.agentTokensRequired {
            guard let token = TokenStore.bearer(request.headers[.authorization]), let a = config.agent(forToken: token) else {
                var p = Problem.make(401, "a valid 'Authorization: Bearer TOKEN' is required")
                p.type = "about:blank"
                return p.response(headers: [.wwwAuthenticate: "Bearer realm=\"vigie\""])
            }
            agent = a
        }
        if let refused = unsupportedMediaType(request, ingestTypes) { return refused }
        guard var bytes = try await body(&request, limit: config.maxBodyBytes) else { return tooLarge(config.maxBodyBytes) }
        let encoding = (request.headers[.contentEncoding] ?? "identity").lowercased().trimmingCharacters(in: .whitespaces)
        switch encoding {
        case "gzip", "x-gzip":
            do throws(Inflate.Failure) {
                bytes = try Inflate.gunzip(bytes, limit: config.maxDecompressedBytes)
            } catch {
                switch error {
                case .tooLarge: return tooLarge(config.maxDecompressedBytes)
                case .corrupt(let why): return Problem.badRequest("gzip body: \(why)")
                }
            }
        case "identity", "": break
        default: return Problem.make(415, "Content-Encoding '\(encoding)' is not supported (gzip or identity)").response()
        }
        if let limiter = config.rateLimiter, let agent {
            let records = IngestRateLimiter.lineCount(bytes)
            if let wait = limiter.admit(agent: agent, records: records) {
                let seconds = max(1, Int(wait.rounded(.up)))
                logger.debug("agent over its ingest rate", metadata: ["agent": "\(agent)", "records": "\(records)", "retry_after": "\(seconds)"])
                let p = Problem.make(429, "agent '\(agent)' is over its ingest rate (\(Int(limiter.recordsPerSecond)) records/s, bursts of "
                                     + "\(Int(limiter.burstSeconds)) s): \(records) record(s) not applied; retry after \(seconds) s")
                return p.response(headers: [.retryAfter: "\(seconds)"])
            }
        }
        let key = request.headers.first { $0.name.canonicalName == "idempotency-key" }?.value
        let result = correlator.ingest(bytes, agent: agent, idempotencyKey: key, maxRecordBytes: config.maxRecordBytes)
        if let rejection = result.rejection {
            var p: Problem
            switch rejection.kind {
            case .foreignAgent: p = Problem.make(403, "\(rejection); nothing was applied")
            case .mixedAgents: p = Problem.make(400, "\(rejection); nothing was applied")
            }
            p.line = rejection.line
            p.accepted = 0
            logger.warning("batch refused", metadata: ["agent": "\(agent ?? "-")", "why": "\(rejection)"])
            return p.response()
        }
        if let e = result.storageError {
            logger.error("storage failed", metadata: ["error": "\(e)"])
            return Problem.make(503, "storage failed: \(e)").response()
        }
        // The parser keeps the first malformed lines only (in line order) and counts the others.
        if let first = result.errors.first {
            var p = Problem.make(400, "\(first) (\(result.errorCount) malformed line(s); the \(result.accepted) valid record(s) were applied)")
            p.line = first.line
            p.errors = result.errors.prefix(50).map { .init(line: $0.line, message: $0.message) }
            p.errorCount = result.errorCount
            p.accepted = result.accepted
            p.duplicates = result.duplicates
            logger.warning("malformed records", metadata: ["agent": "\(agent ?? "-")", "first": "\(first)"])
            return p.response()
        }
        return json(IngestSummary(accepted: result.accepted, duplicates: result.duplicates, unknownKinds: result.unknownKinds,
                                  changes: result.changes, replayed: result.replayed))
    }

    // MARK: Events

    static func events(_ correlator: Correlator) -> Response {
        let (id, stream) = correlator.subscribe()
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            // One stream of chunks: the events, and a comment every 15 s so that a client gone away
            // is noticed (the write fails) even when nothing changes.
            let (chunks, output) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(1000))
            let pump = Task {
                var n = 0
                for await e in stream {
                    n += 1
                    let data = String(decoding: StateChangeJSON.encode(e), as: UTF8.self)
                    output.yield("event: state\nid: \(n)\ndata: \(data)\n\n")
                }
                output.finish()
            }
            let ping = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 15_000_000_000)
                    output.yield(": ping\n\n")
                }
            }
            defer {
                pump.cancel()
                ping.cancel()
                correlator.unsubscribe(id)
            }
            try await writer.write(ByteBuffer(string: ": vigie-server state changes\nretry: 2000\n\n"))
            for await chunk in chunks {
                try await writer.write(ByteBuffer(string: chunk))
            }
            try await writer.finish(nil)
        })
    }
}

struct IngestSummary: Encodable { var accepted, duplicates, unknownKinds, changes: Int; var replayed: Bool }
struct WhatIfRequest: Decodable { var node: String; var state: String; var all: Bool? }
struct PromoteRequest: Decodable { var parent: String; var map: String?; var weight: Double?; var group: String? }
struct MaintenanceRequest: Decodable {
    var node: String; var start: String?; var end: String?; var durationS: Double?; var comment: String?

    struct Invalid: Error { var message: String }

    /// Longest window: 366 days.
    static let maxDuration: Double = 366 * 86400
    /// Window bounds: 1970-01-01T00:00:00Z ... 9999-12-31T23:59:59Z.
    static let earliest: Double = 0, latest: Double = 253_402_300_799

    /// The window `[start, end)` the request asks for (start defaults to `now`), checked: times
    /// RFC 3339 within years 1970...9999, `duration_s` finite, > 0 and at most 366 days, end after start.
    static func window(_ q: MaintenanceRequest, now: Double) -> Result<(Double, Double), Invalid> {
        func time(_ field: String, _ text: String?) -> Result<Double?, Invalid> {
            guard let text else { return .success(nil) }
            guard let t = Timestamp.parse(text), t.isFinite, (earliest...latest).contains(t) else {
                return .failure(Invalid(message: "'\(field)' must be an RFC 3339 time within years 1970...9999"))
            }
            return .success(t)
        }
        let start: Double, end: Double
        switch time("start", q.start) { case .success(let t): start = t ?? now; case .failure(let e): return .failure(e) }
        switch time("end", q.end) {
        case .failure(let e): return .failure(e)
        case .success(let t?):
            end = t
        case .success(nil):
            guard let d = q.durationS else { return .failure(Invalid(message: "'end' (RFC 3339) or 'duration_s' is required")) }
            guard d.isFinite, d > 0, d <= maxDuration else {
                return .failure(Invalid(message: "'duration_s' must be a finite number of seconds > 0 and at most 366 days (\(Int(maxDuration)))"))
            }
            end = start + d
            guard end <= latest else { return .failure(Invalid(message: "the window ends after year 9999")) }
        }
        guard end > start else { return .failure(Invalid(message: "'end' must be after 'start'")) }
        return .success((start, end))
    }
}
struct AckRequest: Decodable { var node: String; var author: String?; var comment: String? }
struct AgentEntry: Encodable { var agent: String; var lastSeen: String; var epoch: Int64; var fresh: Bool }

struct EventPayload: Encodable {
    var node: String, kind: String, state: String, previous: String?, causes: [String], rootCauses: [String], flapping: Bool, at: String
    init(_ e: StateChangeEvent) {
        node = e.node; kind = e.kind.rawValue; state = e.state.rawValue; previous = e.previous?.rawValue
        causes = e.causes; rootCauses = e.rootCauses; flapping = e.flapping; at = Timestamp.format(e.at)
    }
}

struct DependencyEntry: Encodable {
    var id: Int64, client: String, service: String, app: String?, status: String, firstSeen: String, lastSeen: String
    var attempts: Int64, transactions: Int64, failures: Int64, agents: [String], confirmed: Bool, promoted: Bool
    init(_ v: Correlator.DependencyView) {
        let d = v.dependency
        id = d.id; client = d.client; service = d.service; app = d.app; status = v.status.rawValue
        firstSeen = Timestamp.format(d.firstSeen); lastSeen = Timestamp.format(d.lastSeen)
        attempts = d.attempts; transactions = d.transactions; failures = d.failures; agents = d.agents
        confirmed = d.confirmed; promoted = d.promoted
    }
    init(_ d: ObservedDependency, _ c: Correlator) {
        let found = c.dependencies().first(where: { $0.dependency.id == d.id })
        self.init(found ?? Correlator.DependencyView(dependency: d, status: d.confirmed ? DependencyStatus.confirmed : DependencyStatus.new))
    }
}

/// `GET /api/v1/nodes/{id}`: the node, its status and causes, its neighbours, history and availability.
struct NodeDetail: Encodable {
    var node: Node
    var status: NodeStatus
    var flapping: Bool
    var children: [ImpactEdge]
    var parents: [String]
    var views: [ViewEntry]
    var history: [HistoryItem]
    /// Share of the last 24 h in each state.
    var availability24h: [String: Double]

    struct ViewEntry: Encodable { var agent: String; var state: String; var updated: String; var ts: String }
    struct HistoryItem: Encodable { var at: String; var state: String; var previous: String?; var causes: [String] }

    static func make(_ c: Correlator, _ id: String) -> NodeDetail? {
        guard let node = c.node(id), let status = c.status(id) else { return nil }
        let inv = c.inventory
        return NodeDetail(node: node, status: status, flapping: c.isFlapping(id),
                          children: inv.edges.filter { $0.parent == id }, parents: inv.edges.filter { $0.child == id }.map(\.parent),
                          views: c.agentViews(service: id).map { .init(agent: $0.agent, state: $0.state.rawValue, updated: Timestamp.format($0.updated), ts: Timestamp.format($0.ts)) },
                          history: c.history(node: id).map { .init(at: Timestamp.format($0.at), state: $0.state.rawValue, previous: $0.previous?.rawValue, causes: $0.causes) },
                          availability24h: Dictionary(uniqueKeysWithValues: c.availability(node: id, period: 86400).map { ($0.key.rawValue, $0.value) }))
    }
}
