import Foundation
import Testing
import VigieTestSupport
#if canImport(Glibc)
import Glibc
#endif
@testable import Transport

/// A Python standard-library HTTP receiver (Tests/TestSupport/Scripts/http_receiver.py) in its own process.
final class TestReceiver {
    let process = Process()
    let port: Int
    let outFile: String
    let controlFile: String

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TestSupport/Scripts/http_receiver.py").path
    }

    init(dir: String, token: String) throws {
        outFile = dir + "/received.ndjson"
        controlFile = dir + "/control"
        try "ok".write(toFile: controlFile, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, outFile, controlFile, token]
        let out = Pipe()
        process.standardOutput = out
        // Never share the test runner's stderr: a receiver outliving the test would hold
        // `swift test`'s pipe open and hang it.
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile)
        }
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)/api/v1/ingest" }

    func answer(_ mode: String) throws { try mode.write(toFile: controlFile, atomically: true, encoding: .utf8) }

    /// Lines received: (idempotency key, record).
    func received() -> [(String, String)] {
        guard let text = try? String(contentsOfFile: outFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

@Suite("HTTP sink", .enabled(if: Support.tool("python3") != nil, "needs python3 for the test receiver"))
struct HTTPSinkTests {
    func setUp(_ name: String, configure: (inout HTTPSinkConfig, _ dir: String) -> Void = { _, _ in })
        throws -> (String, Spool, HTTPSink, TestReceiver) {
        let dir = Support.temporaryDirectory(name)
        var spoolConfig = SpoolConfig(directory: dir + "/spool")
        spoolConfig.flushInterval = 0.05
        let spool = try Spool(config: spoolConfig, sinks: ["http"], logger: Support.logger)
        let receiver = try TestReceiver(dir: dir, token: "s3cret")
        var config = HTTPSinkConfig(url: receiver.url)
        config.bearerToken = "s3cret"
        config.batchMaxAge = 0.2
        config.batchMaxRecords = 100
        config.backoffInitial = 0.1
        config.backoffMax = 1
        config.timeoutSeconds = 2
        config.deadLetterPath = dir + "/dead-letter.ndjson"
        configure(&config, dir)
        return (dir, spool, try HTTPSink(config: config, spool: spool, logger: Support.logger), receiver)
    }

    static func waitDelivered(_ sink: HTTPSink, _ spool: Spool, timeout: Double) -> Bool {
        spool.flush()  // everything appended is durable, so "nothing pending" means delivered
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if sink.stats().pending == 0 { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    static func seqs(_ lines: [(String, String)]) -> [Int] {
        lines.compactMap { Int($0.1.dropFirst(7).dropLast()) }
    }

    @Test("503s and a hanging server are retried until every record arrives")
    func retriesUntilDelivered() throws {
        let (dir, spool, sink, receiver) = try setUp("http-retry")
        defer { try? FileManager.default.removeItem(atPath: dir); receiver.stop() }
        sink.start()
        for i in 0..<300 { spool.append(kind: .conn, key: "k", payload: Array("{\"seq\":\(i)}".utf8)) }
        #expect(Self.waitDelivered(sink, spool, timeout: 20))
        try receiver.answer("503")
        for i in 300..<600 { spool.append(kind: .edge, key: "k", payload: Array("{\"seq\":\(i)}".utf8)) }
        Thread.sleep(forTimeInterval: 2)
        #expect(sink.stats().pending > 0)
        try receiver.answer("hang")
        Thread.sleep(forTimeInterval: 3)
        try receiver.answer("ok")
        #expect(Self.waitDelivered(sink, spool, timeout: 30))
        sink.stop(drainSeconds: 2)
        spool.close()
        let got = Self.seqs(receiver.received())
        #expect(Set(got) == Set(0..<600), "missing: \(Set(0..<600).subtracting(got).sorted().prefix(10))")
        #expect(sink.stats().retried > 0)
        #expect(sink.stats().delivered >= 600)
        // One idempotency key per batch, stable across its retries.
        let keys = Set(receiver.received().map(\.0))
        #expect(keys.allSatisfy { $0.hasPrefix("agent-") })
    }

    static func append(_ spool: Spool, _ seqs: Range<Int>) {
        for i in seqs { spool.append(kind: .conn, key: "k", payload: Array("{\"seq\":\(i)}".utf8)) }
    }

    /// The server refuses for now: nothing received, every record still spooled, retried, none
    /// dead-lettered, and the refusal visible in the stats.
    static func expectHeld(_ sink: HTTPSink, _ receiver: TestReceiver, records: UInt64, authFailures: Bool, lastError: String,
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let stats = sink.stats()
        #expect(receiver.received().isEmpty, sourceLocation: sourceLocation)
        #expect(stats.pending == records, sourceLocation: sourceLocation)
        #expect(stats.deadLettered == 0, sourceLocation: sourceLocation)
        #expect(stats.retried > 0, sourceLocation: sourceLocation)
        #expect((stats.authFailures > 0) == authFailures, sourceLocation: sourceLocation)
        #expect(stats.lastError == lastError, sourceLocation: sourceLocation)
    }

    /// After the refusal ended: every record received once, in order, none dead-lettered.
    static func expectDeliveredOnce(_ sink: HTTPSink, _ receiver: TestReceiver, _ seqs: Range<Int>,
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        let stats = sink.stats()
        #expect(Self.seqs(receiver.received()) == Array(seqs), sourceLocation: sourceLocation)
        #expect(stats.delivered == UInt64(seqs.count), sourceLocation: sourceLocation)
        #expect(stats.deadLettered == 0, sourceLocation: sourceLocation)
        #expect(stats.lastError == nil, sourceLocation: sourceLocation)
    }

    @Test("400, 413, 415 and 422 dead-letter their batch, counted, with the server's answer; delivery goes on")
    func deadLetter() throws {
        let (dir, spool, sink, receiver) = try setUp("http-400")
        defer { try? FileManager.default.removeItem(atPath: dir); receiver.stop() }
        sink.start()
        var dead = 0
        for status in [400, 413, 415, 422] {
            try receiver.answer("\(status)")
            Self.append(spool, dead..<dead + 50)
            #expect(Self.waitDelivered(sink, spool, timeout: 10))
            dead += 50
            let stats = sink.stats()
            #expect(stats.deadLettered == UInt64(dead), "after \(status)")
            #expect(stats.lastError == "HTTP \(status): {\"error\":\"as configured\"}")
        }
        try receiver.answer("ok")
        Self.append(spool, 1000..<1030)
        #expect(Self.waitDelivered(sink, spool, timeout: 10))
        sink.stop(drainSeconds: 2)
        spool.close()
        #expect(Self.seqs(receiver.received()) == Array(1000..<1030))
        #expect(sink.stats().deadLettered == UInt64(dead))
        #expect(sink.stats().authFailures == 0)
        #expect(sink.stats().lastError == nil)
        let lines = try String(contentsOfFile: dir + "/dead-letter.ndjson", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == dead)
    }

    @Test("a token refused with 401 keeps the records spooled until its file holds the new one: each delivered once, in order")
    func tokenRotation() throws {
        let (dir, spool, sink, receiver) = try setUp("http-401") { config, dir in
            config.bearerToken = "old"
            config.bearerTokenFile = dir + "/token"
        }
        defer { try? FileManager.default.removeItem(atPath: dir); receiver.stop() }
        let tokenFile = dir + "/token"
        try "old\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        sink.start()
        Self.append(spool, 0..<250)  // three batches of at most 100
        Thread.sleep(forTimeInterval: 2)
        Self.expectHeld(sink, receiver, records: 250, authFailures: true, lastError: "HTTP 401: {\"error\":\"bad token\"}")
        // An empty token file is no token: the previous one stays and the records keep waiting.
        try "".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 1)
        #expect(receiver.received().isEmpty)
        try "  s3cret \n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        #expect(Self.waitDelivered(sink, spool, timeout: 15))
        Self.append(spool, 250..<300)
        #expect(Self.waitDelivered(sink, spool, timeout: 10))
        sink.stop(drainSeconds: 2)
        spool.close()
        Self.expectDeliveredOnce(sink, receiver, 0..<300)
        #expect(!FileManager.default.fileExists(atPath: dir + "/dead-letter.ndjson"))
    }

    @Test("403 and 404 are retried with backoff, never dead-lettered", arguments: [403, 404])
    func refusalsRetried(status: Int) throws {
        let (dir, spool, sink, receiver) = try setUp("http-\(status)")
        defer { try? FileManager.default.removeItem(atPath: dir); receiver.stop() }
        try receiver.answer("\(status)")
        sink.start()
        Self.append(spool, 0..<150)
        Thread.sleep(forTimeInterval: 2)
        Self.expectHeld(sink, receiver, records: 150, authFailures: status == 403,
                        lastError: "HTTP \(status): {\"error\":\"as configured\"}")
        try receiver.answer("ok")
        #expect(Self.waitDelivered(sink, spool, timeout: 15))
        sink.stop(drainSeconds: 2)
        spool.close()
        Self.expectDeliveredOnce(sink, receiver, 0..<150)
    }

    @Test("status → action table")
    func statusActions() {
        #expect(HTTPStatusAction(status: 200) == .delivered)
        #expect(HTTPStatusAction(status: 204) == .delivered)
        for status in [0, 408, 429, 500, 502, 503, 504, 302] { #expect(HTTPStatusAction(status: status) == .retry, "\(status)") }
        for status in [401, 403] { #expect(HTTPStatusAction(status: status) == .retryAuth, "\(status)") }
        for status in [400, 413, 415, 422] { #expect(HTTPStatusAction(status: status) == .deadLetter, "\(status)") }
        for status in [404, 405, 409, 410, 451] { #expect(HTTPStatusAction(status: status) == .retryRefused, "\(status)") }
    }

    @Test("the token file is re-read: a new token is taken, a missing or empty file keeps the old one, noted once")
    func tokenReload() throws {
        let dir = Support.temporaryDirectory("http-token")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/token"
        var token = BearerToken(value: "old", file: path)
        #expect(token.reload() == .problem(ExportError(.badConfig, context: path, "cannot read the token file"), isNew: true))
        #expect(token.reload() == .problem(ExportError(.badConfig, context: path, "cannot read the token file"), isNew: false))
        try " \n".write(toFile: path, atomically: true, encoding: .utf8)
        guard case .problem(_, isNew: true) = token.reload() else { Issue.record("an empty file is a new problem"); return }
        #expect(token.value == "old")
        try "old".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(token.reload() == .unchanged)
        try "new\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(token.reload() == .changed)
        #expect(token.value == "new")
        var fixed = BearerToken(value: "t", file: nil)
        #expect(fixed.reload() == .unchanged)
    }

    @Test("a bad URL is a configuration error")
    func badURL() throws {
        let dir = Support.temporaryDirectory("http-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try Spool(config: SpoolConfig(directory: dir), sinks: ["http"], logger: Support.logger)
        defer { spool.close() }
        #expect(throws: ExportError.self) { try HTTPSink(config: HTTPSinkConfig(url: "ftp://x"), spool: spool, logger: Support.logger) }
    }
}
