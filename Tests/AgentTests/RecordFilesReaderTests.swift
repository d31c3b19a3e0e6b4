import Foundation
import Testing
import VigieTestSupport

/// The agent's record files as stored (`STORE/records`): gzipped when closed by default, plain with
/// `analytics.record_files_compress: false`, the same records either way (docs/records.md).
@Suite("Record files: compressed by default, the same lines either way")
struct RecordFilesReaderTests {
    /// Ingests `vigie-gen` packets into a fresh store, with `yaml` as its configuration when given.
    func ingest(_ dir: String, _ name: String, yaml: String?) throws -> String {
        let store = dir + "/" + name
        var argv = [Support.agentBinary, "ingest", "--store", store, "--no-progress", "--log-level", "critical", "--agent-id", "rf"]
        if let yaml {
            try yaml.write(toFile: dir + "/" + name + ".yaml", atomically: true, encoding: .utf8)
            argv += ["--config", dir + "/" + name + ".yaml"]
        }
        let run = try Support.run(argv + [dir + "/g.pcap"])
        #expect(run.status == 0, "\(run.stderr)")
        return store
    }

    /// The records without the fields that differ between two runs (wall clock, epoch, and `seq`:
    /// the analytics threads interleave their records differently from run to run), sorted.
    func comparable(_ lines: [String]) throws -> [String] {
        try lines.compactMap { line in
            var o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard o["kind"] as? String != "agent_health" else { return nil }
            o["agent_ts"] = nil; o["epoch"] = nil; o["seq"] = nil
            return String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
        }.sorted()
    }

    @Test func compressedAndPlainStoresHoldTheSameRecords() throws {
        let dir = Support.temporaryDirectory("record-files")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let gen = URL(fileURLWithPath: Support.agentBinary).deletingLastPathComponent().appendingPathComponent("vigie-gen").path
        _ = try Support.run([gen, "-o", dir + "/g.pcap", "--packets", "20000", "--seed", "18"])

        let compressed = try ingest(dir, "gz", yaml: nil)
        let gzNames = try FileManager.default.contentsOfDirectory(atPath: compressed + "/records").sorted()
        #expect(!gzNames.isEmpty && gzNames.allSatisfy { $0.hasPrefix("records-") && $0.hasSuffix(".ndjson.gz") }, "\(gzNames)")

        let plain = try ingest(dir, "plain", yaml: "analytics: {record_files_compress: false}\n")
        let plainNames = try FileManager.default.contentsOfDirectory(atPath: plain + "/records").sorted()
        #expect(!plainNames.isEmpty && plainNames.allSatisfy { $0.hasPrefix("records-") && $0.hasSuffix(".ndjson") }, "\(plainNames)")

        let a = try comparable(Support.recordLines(compressed)), b = try comparable(Support.recordLines(plain))
        #expect(a.count > 100)
        #expect(a == b)
    }
}
