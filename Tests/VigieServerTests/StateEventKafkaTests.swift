import Foundation
import Testing
import VigieTestSupport

/// `--events-kafka-topic`: the real server produces every state change to a topic of the mock
/// Kafka cluster; read back with kcat (an independent client).
@Suite("vigie-server state changes to Kafka", .serialized,
       .enabled(if: ["curl", "gzip", "kcat"].allSatisfy(HTTPFixture.hasTool) && KafkaMockProcess.binary != nil,
                "needs curl, gzip, kcat and vigie-kafka-mock"))
struct StateEventKafkaTests {
    static let topic = "vigie.state_changes"
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Schemas/events/state_change.schema.json").path

    /// The topic's messages as (key, JSON object, raw value), polled until `done` holds (10 s at most).
    static func read(_ mock: KafkaMockProcess, until done: ([(String, [String: Any], String)]) -> Bool) throws -> [(String, [String: Any], String)] {
        var messages: [(String, [String: Any], String)] = []
        let deadline = Date().addingTimeInterval(10)
        repeat {
            messages = try mock.consume(topic: topic).compactMap { line in
                let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
                guard parts.count == 2, let o = try? JSONSerialization.jsonObject(with: Data(parts[1].utf8)) as? [String: Any] else { return nil }
                return (parts[0], o, parts[1])
            }
            if done(messages) { break }
            Thread.sleep(forTimeInterval: 0.3)
        } while Date() < deadline
        return messages
    }

    @Test("changes reach the topic as the SSE JSON, keyed by node; valid against the schema; the last ones are flushed at shutdown")
    func stateChangesToKafka() throws {
        let began = Date()
        let mock = try KafkaMockProcess(topics: ["\(Self.topic):1"])
        defer { mock.stop() }
        let f = try HTTPFixture(arguments: ["--events-kafka-topic", Self.topic, "--events-kafka", mock.bootstrap])
        // The SSE stream alongside, to compare the bytes.
        let sse = Process()
        sse.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sse.arguments = ["curl", "-s", "-N", "--max-time", "3", f.url("/api/v1/events")]
        let pipe = Pipe()
        sse.standardOutput = pipe
        try sse.run()
        usleep(500_000)

        let db = "10.0.0.7:5432/tcp"
        #expect(try f.post([Lines.serviceState(seq: 1, service: db, state: "REFUSED")]).status == 200)
        #expect(try f.post([Lines.serviceState(seq: 2, service: db, state: "UP", previous: "REFUSED")]).status == 200)
        let messages = try Self.read(mock) { m in m.filter { $0.0 == "db" }.count >= 2 }
        let sseData = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        sse.waitUntilExit()

        #expect(messages.allSatisfy { $0.0 == $0.1["node"] as? String }, "key = node id")
        let dbEvents = messages.filter { $0.0 == "db" }.map(\.1)
        #expect(dbEvents.map { $0["state"] as? String } == ["DOWN", "OK"], "\(dbEvents)")
        #expect(dbEvents.map { $0["previous"] as? String } == ["UNKNOWN", "DOWN"], "\(dbEvents)")
        #expect(dbEvents.first?["root_causes"] as? [String] == [db])
        #expect(dbEvents.first?["kind"] as? String == "service")
        let nodes = Set(messages.map(\.0))
        #expect(nodes.isSuperset(of: ["db", "shop", db]), "the endpoint, its service and the application changed: \(nodes)")
        #expect(messages.map(\.2) == sseData, "Kafka values = SSE data, same order, byte for byte")
        if SchemaValidator.isAvailable {
            let check = try Support.run(["python3", "-c", """
                import json, sys
                from jsonschema import Draft202012Validator
                v = Draft202012Validator(json.load(open(sys.argv[1])))
                bad = [f"{n}: {e.message}" for n, line in enumerate(sys.argv[2:]) for e in v.iter_errors(json.loads(line))]
                print("\\n".join(bad)); sys.exit(1 if bad else 0)
                """, Self.schema] + messages.map(\.2))
            #expect(check.status == 0, "schema: \(check.stdout) \(check.stderr)")
        }
        let metrics = try f.get("/metrics").body
        #expect(metrics.contains("vigie_server_events_kafka_delivered_total \(messages.count)"), "\(metrics.split(separator: "\n").filter { $0.contains("events_kafka") })")
        #expect(metrics.contains("vigie_server_events_kafka_failed_total 0"))

        // A change right before SIGTERM still reaches the topic: the producer stops after ingest and flushes.
        #expect(try f.post([Lines.serviceState(seq: 3, service: db, state: "DEGRADED", previous: "UP")]).status == 200)
        f.server.terminate()
        f.server.waitUntilExit()
        #expect(f.server.terminationStatus == 0, "graceful shutdown of every service, the producer last")
        let after = try Self.read(mock) { m in m.filter { $0.0 == "db" }.count >= 3 }
        #expect(after.filter { $0.0 == "db" }.last?.1["state"] as? String == "DEGRADED", "the last change was flushed at shutdown")
        print("events to Kafka: \(after.count) messages; \(String(format: "%.1f", Date().timeIntervalSince(began))) s")
    }

    @Test("--events-kafka-topic without a cluster, or with a bad name, is refused at start")
    func badOptions() throws {
        let dir = Support.temporaryDirectory("events-options")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (arguments, message) in [
            (["--events-kafka-topic", "changes"], "--events-kafka-topic needs a cluster"),
            (["--events-kafka-topic", "bad topic", "--kafka", "127.0.0.1:9"], "is not a Kafka topic name"),
            (["--events-kafka", "127.0.0.1:9"], "--events-kafka needs --events-kafka-topic"),
        ] {
            let r = try HTTPFixture.runServer(["serve", "--data", dir + "/data", "--listen", "127.0.0.1:1"] + arguments)
            #expect(r.status != 0 && r.stderr.contains(message), "\(arguments): exit \(r.status), \(r.stderr)")
        }
    }
}
