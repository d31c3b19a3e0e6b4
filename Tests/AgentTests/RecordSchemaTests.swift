import Foundation
import Testing
import VigieTestSupport

/// Every record the agent writes while ingesting the whole corpus validates against its JSON Schema
/// (Python's `jsonschema`, an independent implementation of draft 2020-12).
@Suite("Records from the corpus validate against their schemas",
       .enabled(if: Support.hasCorpus && SchemaValidator.isAvailable, "needs the corpus and python3 with jsonschema"))
struct RecordSchemaTests {
    @Test("ingest of every corpus file: all records valid, every kind present")
    func corpusRecordsAreValid() throws {
        let store = Support.temporaryDirectory("records")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let files = Support.corpusFiles.map(Support.corpusPath)
        // Corrupt files end in an error (exit 2) after their readable prefix: records still come.
        let run = try Support.run([Support.agentBinary, "ingest", "--store", store, "--no-progress", "--log-level", "critical",
                                   "--agent-id", "schema-test"] + files)
        #expect(run.status == 0 || run.status == 2, "\(run.stderr)")
        let ndjson = try Support.recordFileBytes(store)
        let lines = ndjson.split(separator: 0x0A)
        #expect(lines.count > 1000)
        var kinds = Set<String>()
        var seqs: [Int] = []
        for line in lines {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            kinds.insert(o["kind"] as? String ?? "?")
            seqs.append((o["seq"] as? NSNumber)?.intValue ?? -1)
        }
        // `pin` too: the corpus holds services that go down, and their incidents are pinned (docs/pins.md).
        #expect(kinds == ["conn", "txn", "edge", "service_state", "service_seen", "agent_health", "pin"])
        #expect(seqs == Array(1...seqs.count), "seq runs 1...n without gaps")
        let errors = try SchemaValidator.validate(ndjson)
        #expect(errors.isEmpty, "\(errors.count) schema errors, e.g. \(errors.prefix(5))")
    }
}
