import Correlation
import Foundation
import HTTPListener
import Hummingbird
import Logging
import SystemIO
import Transport

extension ServerAPI {
    /// `POST /api/v1/ingest`: agents' NDJSON batches (authentication, media type, gzip, rate limit,
    /// Idempotency-Key), applied by the correlator.
    enum IngestRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.post, "api/v1/ingest") { request, _, api -> Response in
                var request = request
                return try await ingest(&request, correlator: api.correlator, config: api.config, logger: api.logger)
            },
        ]
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
        let body = bytes, maxRecordBytes = config.maxRecordBytes, tokenAgent = agent
        // Parsing, the apply and the write (fsync) block: off the async pool.
        let result = await BlockingWork.run { correlator.ingest(body, agent: tokenAgent, idempotencyKey: key, maxRecordBytes: maxRecordBytes) }
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
            logger.error("storage failed; batch not applied", metadata: ["agent": "\(agent ?? "-")", "error": "\(e)"])
            return Problem.storageFailed(e)
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
}

struct IngestSummary: Encodable { var accepted, duplicates, unknownKinds, changes: Int; var replayed: Bool }
