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
    func setUp(_ name: String, configure: (inout HTTPSinkConfig) -> Void = { _ in })
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
        configure(&config)
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

    @Test("a 400 dead-letters that batch and delivery goes on; a wrong token is never accepted")
    func deadLetter() throws {
        let (dir, spool, sink, receiver) = try setUp("http-400")
        defer { try? FileManager.default.removeItem(atPath: dir); receiver.stop() }
        try receiver.answer("400")
        sink.start()
        for i in 0..<50 { spool.append(kind: .conn, key: "k", payload: Array("{\"seq\":\(i)}".utf8)) }
        #expect(Self.waitDelivered(sink, spool, timeout: 10))
        try receiver.answer("ok")
        for i in 50..<80 { spool.append(kind: .conn, key: "k", payload: Array("{\"seq\":\(i)}".utf8)) }
        #expect(Self.waitDelivered(sink, spool, timeout: 10))
        sink.stop(drainSeconds: 2)
        spool.close()
        #expect(Set(Self.seqs(receiver.received())) == Set(50..<80))
        #expect(sink.stats().deadLettered == 50)
        let dead = try String(contentsOfFile: dir + "/dead-letter.ndjson", encoding: .utf8)
        #expect(dead.split(separator: "\n").count == 50)

        // Wrong token: the receiver answers 401, a permanent refusal: dead-lettered, not delivered.
        let (dir2, spool2, sink2, receiver2) = try setUp("http-401") { $0.bearerToken = "wrong" }
        defer { try? FileManager.default.removeItem(atPath: dir2); receiver2.stop() }
        sink2.start()
        spool2.append(kind: .conn, key: "k", payload: Array("{\"seq\":1}".utf8))
        #expect(Self.waitDelivered(sink2, spool2, timeout: 10))
        sink2.stop(drainSeconds: 1)
        spool2.close()
        #expect(receiver2.received().isEmpty)
        #expect(sink2.stats().deadLettered == 1)
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
