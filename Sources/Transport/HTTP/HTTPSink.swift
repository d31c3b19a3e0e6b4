import Foundation
import Logging
import Records

/// Drains the spool to an HTTP endpoint in NDJSON batches (gzip). What an answer leads to
/// (``HTTPStatusAction`` has the table):
/// - 2xx: delivered;
/// - no answer, 408, 429, 5xx: retried with exponential backoff and full jitter until it succeeds;
/// - 401, 403: the token was refused; retried the same way, never given up, with an error in the
///   log once per episode and `authFailures` counted; the token file (if the token came from one)
///   is re-read before each retry, so writing the rotated token there resumes delivery;
/// - 400, 413, 415, 422: the batch is malformed and can never succeed: it goes to the dead-letter
///   file, logged with the server's problem body, and delivery moves on;
/// - another 4xx (404 …): a wrong URL or server, retried with backoff and an error in the log:
///   losing records to a configuration mistake is worse than holding them in the spool.
public final class HTTPSink: ExportSink, @unchecked Sendable {
    // @unchecked: shared state lives in `runState` (locked); the curl handle belongs to the thread.
    public var name: String { config.name }
    public let config: HTTPSinkConfig
    private let spool: Spool
    private let logger: Logger
    private let runState: SinkRunState

    public init(config: HTTPSinkConfig, spool: Spool, logger: Logger) throws(ExportError) {
        guard let scheme = config.url.split(separator: ":").first, ["http", "https"].contains(scheme.lowercased()) else {
            throw ExportError(.badConfig, context: "http.url", "must be an http:// or https:// URL, got '\(config.url)'")
        }
        guard config.batchMaxBytes > 0, config.batchMaxRecords > 0, config.backoffInitial > 0 else {
            throw ExportError(.badConfig, context: "http", "batch limits and backoff must be positive")
        }
        self.config = config
        self.spool = spool
        self.logger = logger
        runState = SinkRunState(name: config.name)
    }

    public func start() { runState.start(name: "vigie-http") { [self] in run() } }

    public func stop(drainSeconds: Double) {
        spool.flush(timeout: drainSeconds)  // what was appended becomes readable, then drains
        runState.stop(drainSeconds: drainSeconds)
    }

    public func stats() -> SinkStats { runState.snapshot(pending: spool.stats().pending[name] ?? 0) }

    private func run() {
        let curl: CurlEasy
        do throws(ExportError) { curl = try CurlEasy() } catch {
            note(error: error.description)
            return
        }
        let reader = spool.reader(for: name)
        var token = BearerToken(value: config.bearerToken, file: config.bearerTokenFile)
        var batch: [SpoolRecord] = []
        var batchBytes = 0
        var batchStarted: Int64 = 0
        while true {
            let (requested, pastDeadline) = runState.stopping
            if pastDeadline || (requested && batch.isEmpty && (spool.stats().pending[name] ?? 0) == 0) { return }
            let records = reader.next(limit: config.batchMaxRecords - batch.count, waitSeconds: min(config.batchMaxAge, 0.2))
            if batch.isEmpty && !records.isEmpty { batchStarted = monotonicNanos() }
            for r in records { batchBytes += r.payload.count + 1 }
            batch += records
            let age = Double(monotonicNanos() - batchStarted) / 1e9
            guard !batch.isEmpty, batch.count >= config.batchMaxRecords || batchBytes >= config.batchMaxBytes
                    || age >= config.batchMaxAge || requested else { continue }
            guard send(batch, curl, token: &token) else { return }  // false: stopped while retrying
            spool.acknowledge(sink: name, upTo: batch[batch.count - 1].seq &+ 1)
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
    }

    /// Sends one batch until it is accepted or dead-lettered; false if the sink was stopped first.
    private func send(_ batch: [SpoolRecord], _ curl: CurlEasy, token: inout BearerToken) -> Bool {
        var ndjson: [UInt8] = []
        ndjson.reserveCapacity(batch.reduce(0) { $0 + $1.payload.count + 1 })
        for r in batch {
            ndjson += r.payload
            ndjson.append(0x0A)
        }
        var headers = ["Content-Type: application/x-ndjson",
                       "Idempotency-Key: \(config.agentID)-\(batch[0].seq)-\(batch[batch.count - 1].seq)",
                       "Expect:"]  // no 100-continue round trip
        var body = ndjson
        if config.gzip, let compressed = try? Gzip.compress(ndjson) {
            body = compressed
            headers.append("Content-Encoding: gzip")
        }
        var attempt = 0
        var tokenRefused = false
        while true {
            if tokenRefused { reload(&token) }
            let authorization = token.value.map { ["Authorization: Bearer \($0)"] } ?? []
            let response = curl.post(url: config.url, payload: body, headers: headers + authorization, timeoutSeconds: config.timeoutSeconds,
                                     connectTimeoutSeconds: config.connectTimeoutSeconds, caFile: config.caFile)
            switch HTTPStatusAction(status: response.status) {
            case .delivered:
                runState.delivered(UInt64(batch.count))
                return true
            case .deadLetter:
                deadLetter(ndjson, batch: batch, response: response)
                return true
            case .retry:
                note(error: response.transportError ?? "HTTP \(response.status)")
            case .retryAuth:
                tokenRefused = true
                runState.update { $0.authFailures &+= 1 }
                refused(response, why: config.bearerTokenFile.map { "the server refused the token; write the valid one into \($0)" }
                        ?? "the server refused the token; configure the valid one and restart")
            case .retryRefused:
                refused(response, why: "the server refused the request; check export.http.url")
            }
            attempt += 1
            runState.update { $0.retried &+= UInt64(batch.count) }
            // Full jitter: a random wait up to the exponential bound, so agents spread out.
            let bound = min(config.backoffMax, config.backoffInitial * pow(2, Double(min(attempt - 1, 30))))
            let deadline = monotonicNanos() + Int64(Double.random(in: 0...bound) * 1e9)
            while monotonicNanos() < deadline {
                if runState.stopping.pastDeadline { return false }
                runState.pause(seconds: 0.1)
            }
            if runState.stopping.pastDeadline { return false }
        }
    }

    /// After a 401/403: the token file's current token, logged when it changed or could not be read
    /// (once per problem, not per retry).
    private func reload(_ token: inout BearerToken) {
        switch token.reload() {
        case .unchanged: break
        case .changed:
            logger.notice("bearer token re-read from its file; retrying", metadata: ["sink": "\(name)", "file": "\(token.file ?? "")"])
        case .problem(let error, let isNew):
            if isNew { logger.error("bearer token file gives no token; the previous token is kept", metadata: ["sink": "\(name)", "error": "\(error)"]) }
        }
    }

    private func deadLetter(_ ndjson: [UInt8], batch: [SpoolRecord], response: CurlEasy.Response) {
        let error = Self.describe(response)
        logger.error("server declared a batch malformed; written to the dead-letter file", metadata: [
            "sink": "\(name)", "records": "\(batch.count)", "first_spool_seq": "\(batch[0].seq)",
            "error": "\(error)", "file": "\(config.deadLetterPath ?? "none")",
        ])
        if let path = config.deadLetterPath, let handle = FileHandle(forWritingAtPath: path) ?? {
            FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }() {
            handle.seekToEndOfFile()
            handle.write(Data(ndjson))
            try? handle.synchronize()
            try? handle.close()
        }
        runState.update {
            $0.deadLettered &+= UInt64(batch.count)
            $0.lastError = error
        }
    }

    private func note(error: String) {
        if runState.note(error: error) { logger.warning("HTTP delivery problem; records stay spooled and are retried", metadata: ["sink": "\(name)", "error": "\(error)"]) }
    }

    /// A refusal that no waiting cures (a token, a URL): kept in `lastError` and logged as an error,
    /// once per episode (until the next success or another error).
    private func refused(_ response: CurlEasy.Response, why: String) {
        let error = Self.describe(response)
        if runState.note(error: error) {
            logger.error("\(why); records stay spooled and are retried", metadata: ["sink": "\(name)", "error": "\(error)", "url": "\(config.url)"])
        }
    }

    /// `HTTP STATUS: ` and the start of the server's problem body, for the log and `lastError`.
    private static func describe(_ response: CurlEasy.Response) -> String {
        "HTTP \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))"
    }
}
