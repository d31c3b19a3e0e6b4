import Foundation
import Records
import Testing
@testable import Transport
import VigieTestSupport

/// The Kafka sink against librdkafka's mock cluster in another process, checked with kcat.
@Suite("Kafka sink", .enabled(if: Support.tool("kcat") != nil && KafkaMockProcess.binary != nil,
                             "needs kcat (apt install kcat) and the vigie-kafka-mock product"))
struct KafkaSinkTests {
    static let kinds: [RecordKind] = [.conn, .txn, .serviceState, .edge]

    /// Spools `count` records (numbered from `from`), cycling through `kinds`.
    static func spoolRecords(_ spool: Spool, from: Int, count: Int) {
        for i in from..<(from + count) {
            let kind = kinds[i % kinds.count]
            #expect(spool.append(kind: kind, key: "svc-\(i % 5)", payload: Array("{\"seq\":\(i)}".utf8)))
        }
    }

    /// What kcat finds on every topic: seq → key.
    static func consumed(_ mock: KafkaMockProcess) throws -> [Int: String] {
        var out: [Int: String] = [:]
        for kind in kinds {
            for line in try mock.consume(topic: "vigie.\(kind.name)") {
                let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
                guard parts.count == 2, let seq = Int(parts[1].dropFirst(7).dropLast()) else { continue }
                out[seq] = parts[0]
            }
        }
        return out
    }

    static func waitDelivered(_ sink: KafkaSink, _ spool: Spool, timeout: Double) -> Bool {
        spool.flush()  // everything appended is durable, so "nothing pending" means delivered
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if sink.stats().pending == 0 { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return false
    }

    func makeSpool(_ dir: String) throws -> Spool {
        var config = SpoolConfig(directory: dir)
        config.flushInterval = 0.05
        return try Spool(config: config, sinks: ["kafka"], logger: Support.logger)
    }

    @Test("every spooled record reaches its topic with its key, and the spool is confirmed")
    func delivery() throws {
        let mock = try KafkaMockProcess(topics: Self.kinds.map { "vigie.\($0.name):3" })
        defer { mock.stop() }
        let dir = Support.temporaryDirectory("kafka")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try makeSpool(dir)
        let sink = try KafkaSink(config: KafkaSinkConfig(bootstrapServers: mock.bootstrap), spool: spool, logger: Support.logger)
        sink.start()
        Self.spoolRecords(spool, from: 0, count: 3000)
        #expect(Self.waitDelivered(sink, spool, timeout: 30))
        sink.stop(drainSeconds: 5)
        spool.close()
        let got = try Self.consumed(mock)
        #expect(Set(got.keys) == Set(0..<3000), "missing: \(Set(0..<3000).subtracting(got.keys).sorted().prefix(10))")
        #expect(got.allSatisfy { $0.value == "svc-\($0.key % 5)" })
        #expect(sink.stats().delivered == 3000)
    }

    /// The sink copies payloads into the producer's blocks and librdkafka points into them until
    /// their delivery reports: payloads of many sizes, up to and past a block's, must arrive byte
    /// for byte, each key's records in spool order.
    @Test("payloads of every size, past a block's included, arrive intact and in order per key")
    func payloadBlocks() throws {
        let mock = try KafkaMockProcess(topics: ["vigie.txn:2"])
        defer { mock.stop() }
        let dir = Support.temporaryDirectory("kafka-blocks")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try makeSpool(dir)
        let sink = try KafkaSink(config: KafkaSinkConfig(bootstrapServers: mock.bootstrap), spool: spool, logger: Support.logger)
        sink.start()
        let block = KafkaProducer.PayloadBlock.size
        let pads = (0..<600).map { ($0 * 37) % 3000 } + [block - 60, block - 16, block + 1000]
        var expected: [Int: String] = [:]
        for (i, pad) in pads.enumerated() {
            let payload = "{\"seq\":\(i),\"pad\":\"" + String(repeating: "x", count: pad) + "\"}"
            expected[i] = payload
            #expect(spool.append(kind: .txn, key: "svc-\(i % 3)", payload: Array(payload.utf8)))
        }
        #expect(Self.waitDelivered(sink, spool, timeout: 30))
        sink.stop(drainSeconds: 5)
        spool.close()
        var lastSeq: [String: Int] = [:]
        var seen = Set<Int>()
        for line in try mock.consume(topic: "vigie.txn") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard parts.count == 2, let seq = Int(parts[1].dropFirst(7).prefix { $0.isNumber }) else {
                Issue.record("unexpected message \(line.prefix(80))")
                continue
            }
            #expect(parts[1] == expected[seq], "payload of record \(seq) differs")
            #expect(parts[0] == "svc-\(seq % 3)")
            #expect(seq > lastSeq[parts[0], default: -1], "record \(seq) of \(parts[0]) out of order")
            lastSeq[parts[0]] = seq
            seen.insert(seq)
        }
        #expect(seen == Set(0..<pads.count))
        #expect(sink.stats().delivered == UInt64(pads.count))
    }

    /// A broker outage longer than librdkafka's message timeout: messages expire in the client,
    /// the sink replays them from the spool, and every record arrives once the brokers are back.
    @Test("a 30 s broker outage loses nothing")
    func outage() throws {
        let mock = try KafkaMockProcess(topics: Self.kinds.map { "vigie.\($0.name):2" })
        defer { mock.stop() }
        let dir = Support.temporaryDirectory("kafka-outage")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try makeSpool(dir)
        var config = KafkaSinkConfig(bootstrapServers: mock.bootstrap)
        config.properties["message.timeout.ms"] = "5000"  // expire in the client during the outage
        let sink = try KafkaSink(config: config, spool: spool, logger: Support.logger)
        sink.start()
        Self.spoolRecords(spool, from: 0, count: 500)
        #expect(Self.waitDelivered(sink, spool, timeout: 20))
        mock.outage(true)
        for step in 0..<30 {  // records keep coming during the 30 s outage
            Self.spoolRecords(spool, from: 500 + step * 50, count: 50)
            Thread.sleep(forTimeInterval: 1)
        }
        #expect(sink.stats().pending > 0, "nothing can be confirmed while the brokers are down")
        mock.outage(false)
        #expect(Self.waitDelivered(sink, spool, timeout: 60))
        sink.stop(drainSeconds: 5)
        spool.close()
        let got = try Self.consumed(mock)
        #expect(Set(got.keys) == Set(0..<2000), "missing: \(Set(0..<2000).subtracting(got.keys).sorted().prefix(10))")
        #expect(sink.stats().retried > 0, "the expired messages were replayed from the spool")
    }
}
