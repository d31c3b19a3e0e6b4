import Correlation
import Foundation
import HTTPListener
import Hummingbird
import Logging
import NIOCore

/// The server's HTTP API (Schemas/server-api.yaml): the shared request and answer helpers, the
/// router, the application. Routes are declared per resource (`*Routes.swift`, listed in `routes`).
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
        // Middleware applies to the routes added after it: every route comes after both.
        let api = APIServices(correlator: correlator, config: config, logger: logger, fetcher: DrillDown.Fetcher(config: config.drillDown))
        let mirror = config.metrics.mirror, limiter = config.rateLimiter, audit = api.fetcher.audit
        config.metrics.exposition.onRender {
            ServerMetrics.record(correlator.metrics, into: mirror)
            if let limiter { ServerMetrics.record(limiter, into: mirror) }
            ServerMetrics.record(audit.snapshot, into: mirror)
        }
        for route in routes {
            router.on(RouterPath(route.path), method: route.method) { request, context in try await route.handler(request, context, api) }
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
        let mirror = config.metrics.mirror
        config.metrics.exposition.onRender { ServerMetrics.record(registry.counters, into: mirror) }
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
}
