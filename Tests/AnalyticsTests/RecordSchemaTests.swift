import Foundation
import Records
import Testing
@testable import Analytics
import VigieTestSupport

@Suite struct RecordSchemaTests {
    @Test(.enabled(if: SchemaValidator.isAvailable, "python3 with jsonschema is missing (pip install jsonschema): schema validation skipped"))
    func everyKindValidatesAgainstItsSchema() throws {
        let (_, output) = RecordFixtures.run()
        #expect(Set(output.kinds) == Set(RecordKind.allCases))
        let errors = try SchemaValidator.validate(output.bytes)
        #expect(errors.isEmpty, "\(errors.prefix(20).joined(separator: "\n"))")
    }

    @Test("agent_health carries each export sink's counters and last error")
    func agentHealthCarriesSinks() throws {
        let (_, output) = RecordFixtures.run()
        let objects = try output.objects()
        let index = try #require(output.kinds.firstIndex(of: .agentHealth))
        let sinks = try #require(objects[index]["sinks"] as? [[String: Any]])
        #expect(sinks.map { $0["name"] as? String } == ["kafka", "http"])
        #expect((sinks[1]["auth_failures"] as? NSNumber)?.intValue == 5)
        #expect((sinks[1]["dead_lettered"] as? NSNumber)?.intValue == 50)
        #expect((sinks[1]["pending"] as? NSNumber)?.intValue == 250)
        #expect(sinks[1]["last_error"] as? String == "HTTP 401: {\"type\":\"about:blank\",\"status\":401}")
        #expect(sinks[0]["last_error"] == nil)
    }

    @Test("what the agent emits, the server's parser reads: every record, its kind, seq and service")
    func serverParsesTheAgentsRecords() throws {
        let (_, output) = RecordFixtures.run()
        let parsed = RecordParser.parse(batch: output.bytes)
        #expect(parsed.errors.isEmpty, "\(parsed.errors.prefix(5))")
        #expect(parsed.records.count == output.lines.count)
        #expect(parsed.records.map { RecordKind(name: $0.envelope.kind) } == output.kinds)
        #expect(parsed.records.map(\.envelope.seq) == Array(1...Int64(output.lines.count)))
        let objects = try output.objects()
        for (record, object) in zip(parsed.records, objects) {
            #expect(record.envelope.agentID == object["agent_id"] as? String && record.envelope.tsText == object["ts"] as? String)
            switch record.body {
            case .serviceState(let s):
                #expect(s.service == object["service"] as? String && s.state.rawValue == object["state"] as? String)
            case .edge(let e):
                #expect(e.client == object["orig_h"] as? String && e.attempts == (object["attempts"] as? NSNumber)?.int64Value)
            case .serviceSeen(let s):
                #expect(s.service == object["service"] as? String && s.firstSeen == object["first_seen"] as? String)
            case .flow(let service, _):
                #expect(service == object["service"] as? String)
            case .agentHealth(let line):
                #expect(RecordParser.string(.agentID, of: line) == object["agent_id"] as? String)
            case .pin(let p):
                // The agent's pin record as the server reads it (docs/pins.md).
                #expect(p.id == object["id"] as? String && p.action.rawValue == object["action"] as? String)
                #expect(Timestamp.parse(object["from"] as? String ?? "") == p.from && Timestamp.parse(object["to"] as? String ?? "") == p.to)
                #expect(p.service == object["service"] as? String && p.reason == object["reason"] as? String)
            case .unknown:
                Issue.record("unknown kind \(record.envelope.kind)")
            }
        }
    }

    @Test(.enabled(if: SchemaValidator.isAvailable, "python3 with jsonschema is missing (pip install jsonschema): schema validation skipped"),
          arguments: [
              ("\"seq\":", "\"seqq\":"),            // unknown member, required one missing
              ("\"state\":\"", "\"state\":\"X"),    // not an allowed state
              ("\"ts\":\"20", "\"ts\":\"x20"),      // not RFC 3339
              ("\"resp_p\":", "\"resp_p\":-"),      // negative port
          ])
    func brokenRecordsFailValidation(original: String, broken: String) throws {
        let (_, output) = RecordFixtures.run()
        let index = try #require(output.kinds.firstIndex(of: .serviceState))
        let line = String(decoding: output.lines[index], as: UTF8.self)
        #expect(try SchemaValidator.validate(Array(line.utf8)).isEmpty)
        let mutated = line.replacingOccurrences(of: original, with: broken)
        #expect(mutated != line)
        #expect(try !SchemaValidator.validate(Array(mutated.utf8)).isEmpty)
    }

    @Test func seqIsStrictlyIncreasingWithoutGapsAndEnvelopeIsComplete() throws {
        let (emitter, output) = RecordFixtures.run()
        let objects = try output.objects()
        let seqs = objects.compactMap { ($0["seq"] as? NSNumber)?.uint64Value }
        #expect(seqs.count == objects.count)
        #expect(seqs == Array(1...UInt64(objects.count)))
        #expect(emitter.lastSeq == UInt64(objects.count))
        for o in objects {
            #expect(o["schema_version"] as? Int == 1)
            #expect(o["agent_id"] as? String == "agent-\"7\"")
            #expect((o["epoch"] as? NSNumber)?.uint64Value == 1_763_877_000_000)
            #expect((o["ts"] as? String)?.count == 30)
            #expect(o["agent_ts"] is String)
        }
    }

    @Test func transactionsAreSampledDeterministicallyAndErrorsAlwaysKept() throws {
        let (emitter, output) = RecordFixtures.run(sampleRate: 10)
        let txns = try output.objects().filter { $0["kind"] as? String == "txn" }
        let errors = txns.filter { $0["error"] as? Bool == true }
        #expect(errors.count == 6)           // flows 4, 8, ..., 24 of 27
        #expect(errors.allSatisfy { $0["sample_rate"] as? Int == 1 })
        let kept = txns.count - errors.count
        #expect(UInt64(kept) + emitter.stats.transactionsSampledOut == 27 - 6)
        #expect(txns.filter { $0["error"] as? Bool == false }.allSatisfy { $0["sample_rate"] as? Int == 10 })
        let again = RecordFixtures.run(sampleRate: 10).1
        #expect(again.kinds == output.kinds)
    }

    @Test func serviceStateRecordsCarryTheTransitions() throws {
        let (_, output) = RecordFixtures.run()
        let states = try output.objects().filter { $0["kind"] as? String == "service_state" && $0["reason"] as? String == "transition" }
            .filter { $0["service"] as? String == "10.0.0.5:443/tcp" }
            .map { "\($0["previous_state"]!)>\($0["state"]!)@\($0["window_end"]!)" }
        #expect(states == [
            "UNKNOWN>UP@2023-11-14T22:14:10.000000000Z",
            "UP>DEGRADED@2023-11-14T22:14:40.000000000Z",
            "DEGRADED>REFUSED@2023-11-14T22:14:50.000000000Z",
            "REFUSED>UNREACHABLE@2023-11-14T22:15:00.000000000Z",
            "UNREACHABLE>UP@2023-11-14T22:15:10.000000000Z",
            "UP>IDLE@2023-11-14T22:16:10.000000000Z",
        ])
    }

    @Test func droppedRecordsAreCountedAndStillNumbered() throws {
        let output = CollectingOutput()
        let emitter = RecordEmitter(config: RecordEmitterConfig(agentID: "a", epoch: 1), output: output)
        emitter.connection(RecordFixtures.conn(id: 1, at: RecordFixtures.t0))
        output.refuse = true
        emitter.connection(RecordFixtures.conn(id: 2, at: RecordFixtures.t0))
        output.refuse = false
        emitter.connection(RecordFixtures.conn(id: 3, at: RecordFixtures.t0))
        #expect(emitter.stats.emitted(.conn) == 2 && emitter.stats.dropped(.conn) == 1)
        let seqs = try output.objects().map { ($0["seq"] as? NSNumber)?.intValue }
        #expect(seqs == [1, 3]) // the gap tells the receiver a record was lost
    }
}
