import Foundation
import Testing
@testable import Transport
import VigieTestSupport

/// The consumer-group member the server uses, against the mock cluster; messages produced by the
/// agent's own sink. Commits decide where a restarted member resumes.
@Suite("Kafka consumer", .enabled(if: KafkaMockProcess.binary != nil, "needs the vigie-kafka-mock product"))
struct KafkaConsumerTests {
    @Test("reads what the sink produced; after a restart resumes after the last commit")
    func resumesAfterCommit() throws {
        let mock = try KafkaMockProcess(topics: ["vigie.conn:2"])
        defer { mock.stop() }
        let dir = Support.temporaryDirectory("consumer")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var spoolConfig = SpoolConfig(directory: dir)
        spoolConfig.flushInterval = 0.02
        let spool = try Spool(config: spoolConfig, sinks: ["kafka"], logger: Support.logger)
        let sink = try KafkaSink(config: KafkaSinkConfig(bootstrapServers: mock.bootstrap), spool: spool, logger: Support.logger)
        sink.start()
        for i in 0..<100 { spool.append(kind: .conn, key: "svc-\(i % 4)", payload: Array("{\"seq\":\(i)}".utf8)) }
        sink.stop(drainSeconds: 20)
        spool.close()
        #expect(sink.stats().delivered == 100)

        func consume(limit: Int, commitFirst: Int, seconds: Double) throws -> [String] {
            let consumer = try KafkaConsumer(bootstrapServers: mock.bootstrap, groupID: "server", topics: ["vigie.conn"],
                                             logger: Support.logger)
            defer { consumer.close() }
            var got: [String] = []
            let deadline = Date().addingTimeInterval(seconds)
            while got.count < limit && Date() < deadline {
                guard let m = consumer.poll(timeoutMs: 200) else { continue }
                got.append(String(decoding: m.payload, as: UTF8.self))
                if got.count <= commitFirst { try consumer.commit(m) }
            }
            return got
        }
        let first = try consume(limit: 100, commitFirst: 100, seconds: 30)
        #expect(Set(first).count == 100)
        // Nothing new, everything committed: a restarted member reads nothing.
        let again = try consume(limit: 1, commitFirst: 0, seconds: 6)
        #expect(again.isEmpty)
    }

    @Test("a bad property is a configuration error naming it")
    func badProperty() {
        #expect(throws: ExportError.self) {
            try KafkaConsumer(bootstrapServers: "127.0.0.1:1", groupID: "g", topics: ["t"], properties: ["no.such.property": "1"],
                              logger: Support.logger)
        }
    }
}
