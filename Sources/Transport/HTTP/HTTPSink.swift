import Foundation
import Logging

/// Drains the spool to an HTTP endpoint in NDJSON batches (gzip), retrying connection errors,
/// 408, 429 and 5xx with exponential backoff and jitter until they succeed; a batch refused with
/// another 4xx goes to the dead-letter file with a clear log line, and delivery moves on.
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
            guard send(batch, curl) else { return }  // false: stopped while retrying
            spool.acknowledge(sink: name, upTo: batch[batch.count - 1].seq &+ 1)
            batch.removeAll(keepingCapacity: true)
            batchBytes = 0
        }
    }

    /// Sends one batch until it is accepted or dead-lettered; false if the sink was stopped first.
    private func send(_ batch: [SpoolRecord], _ curl: CurlEasy) -> Bool {
        var ndjson: [UInt8] = []
        ndjson.reserveCapacity(batch.reduce(0) { $0 + $1.payload.count + 1 })
        for r in batch {
            ndjson += r.payload
            ndjson.append(0x0A)
        }
        var headers = ["Content-Type: application/x-ndjson",
                       "Idempotency-Key: \(config.agentID)-\(batch[0].seq)-\(batch[batch.count - 1].seq)",
                       "Expect:"]  // no 100-continue round trip
        if let token = config.bearerToken { headers.append("Authorization: Bearer \(token)") }
        var body = ndjson
        if config.gzip, let compressed = try? Gzip.compress(ndjson) {
            body = compressed
            headers.append("Content-Encoding: gzip")
        }
        var attempt = 0
        while true {
            let response = curl.post(url: config.url, payload: body, headers: headers, timeoutSeconds: config.timeoutSeconds,
                                     connectTimeoutSeconds: config.connectTimeoutSeconds, caFile: config.caFile)
            switch response.status {
            case 200..<300:
                runState.update {
                    $0.delivered &+= UInt64(batch.count)
                    $0.lastError = nil
                }
                return true
            case 400..<500 where response.status != 408 && response.status != 429:
                deadLetter(ndjson, batch: batch, status: response.status, body: response.body)
                return true
            default:
                let why = response.transportError ?? "HTTP \(response.status)"
                note(error: why)
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
    }

    private func deadLetter(_ ndjson: [UInt8], batch: [SpoolRecord], status: Int, body: [UInt8]) {
        let reason = String(decoding: body.prefix(300), as: UTF8.self)
        logger.error("server refused a batch; written to the dead-letter file", metadata: [
            "sink": "\(name)", "status": "\(status)", "records": "\(batch.count)",
            "first_spool_seq": "\(batch[0].seq)", "response": "\(reason)", "file": "\(config.deadLetterPath ?? "none")",
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
            $0.lastError = "HTTP \(status): \(reason)"
        }
    }

    private func note(error: String) {
        if runState.note(error: error) { logger.warning("HTTP delivery problem; records stay spooled and are retried", metadata: ["sink": "\(name)", "error": "\(error)"]) }
    }
}
