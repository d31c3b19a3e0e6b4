import Foundation
import Testing
import VigieTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real `vigie-server` whose data directory is a small tmpfs filled to the last byte: ingest
/// answers 503 with `Retry-After` and applies nothing, reads keep working, and once space returns
/// the agent's retry (same batch, same Idempotency-Key) is applied exactly once and survives a
/// restart.
@Suite("Server with a full disk", .serialized,
       .enabled(if: Support.isRoot && HTTPFixture.hasTool("mount") && HTTPFixture.hasTool("curl"), "needs root (tmpfs mount) and curl"))
struct DiskFullTests {
    /// POSTs `body` (NDJSON) as the agent does; the status, the `Retry-After` header and the body.
    /// `scratch`: where the request body is written (not on the full file system).
    static func post(_ fixture: HTTPFixture, _ lines: [String], key: String, scratch: String) throws -> (status: Int, retryAfter: String?, body: String) {
        let file = scratch + "/batch-\(UUID().uuidString).ndjson"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let headers = file + ".headers"
        defer { try? FileManager.default.removeItem(atPath: headers) }
        let r = try HTTPFixture.run(["curl", "-s", "-D", headers, "-w", "\n%{http_code}", "-H", "Content-Type: application/x-ndjson",
                                     "-H", "Authorization: Bearer t0k3n", "-H", "Idempotency-Key: \(key)",
                                     "--data-binary", "@\(file)", fixture.url("/api/v1/ingest")])
        let cut = r.stdout.lastIndex(of: "\n") ?? r.stdout.startIndex
        let head = (try? String(contentsOfFile: headers, encoding: .utf8)) ?? ""
        let retry = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("retry-after:") }
            .map { $0.dropFirst("retry-after:".count).trimmingCharacters(in: .whitespaces) }
        return (Int(r.stdout[r.stdout.index(after: cut)...]) ?? 0, retry, String(r.stdout[..<cut]))
    }

    static func ingested(_ fixture: HTTPFixture) throws -> Int? {
        let metrics = try fixture.get("/metrics").body
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("vigie_server_records_ingested_total ") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") }
    }

    @Test("disk full: 503 + Retry-After, nothing applied, reads work; space back: the retry applies once, kept after a restart")
    func fullThenFreed() throws {
        let outer = Support.temporaryDirectory("disk-full")
        defer { try? FileManager.default.removeItem(atPath: outer) }
        let mountPoint = outer + "/mnt"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try #require(HTTPFixture.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mountPoint]).status == 0)
        defer { _ = try? HTTPFixture.run(["umount", "-l", mountPoint]) }
        let dir = mountPoint + "/server"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

        // 2,000 flow records (about 1.8 MB of stored lines): more than any space SQLite kept.
        let batch = [Lines.serviceState(seq: 1, state: "DEGRADED")] + (2...2001).map { Lines.conn(seq: Int64($0)) }
        var server: HTTPFixture? = try HTTPFixture(dir: dir)
        let fixture = try #require(server)
        #expect(try Self.ingested(fixture) == 0)

        // Fill the file system to the last block.
        _ = try HTTPFixture.run(["dd", "if=/dev/zero", "of=\(mountPoint)/filler", "bs=64k"])
        let full = try Self.post(fixture, batch, key: "batch-1", scratch: outer)
        #expect(full.status == 503, "\(full.body)")
        #expect(full.retryAfter.flatMap(Int.init).map { $0 > 0 } == true)
        #expect(full.body.contains("nothing was applied"))
        #expect(try Self.ingested(fixture) == 0)
        #expect(try fixture.get("/api/v1/weather").status == 200)
        let node = try fixture.get("/api/v1/nodes/10.0.0.5:443/tcp")
        #expect(node.status == 200)
        #expect((try fixture.jsonObject(node.body)["status"] as? [String: Any])?["state"] as? String == "UNKNOWN")

        // Space comes back: the agent's retry is applied, once.
        try FileManager.default.removeItem(atPath: mountPoint + "/filler")
        let retried = try Self.post(fixture, batch, key: "batch-1", scratch: outer)
        #expect(retried.status == 200, "\(retried.body)")
        let summary = try fixture.jsonObject(retried.body)
        #expect(summary["accepted"] as? Int == batch.count && summary["duplicates"] as? Int == 0 && summary["replayed"] as? Bool == false)
        #expect(try Self.ingested(fixture) == batch.count)

        // After a restart everything is there, and the batch sent again is a duplicate.
        server = nil
        let restarted = try HTTPFixture(dir: dir)
        let again = try Self.post(restarted, batch, key: "batch-2", scratch: outer)
        #expect(again.status == 200)
        #expect(try restarted.jsonObject(again.body)["duplicates"] as? Int == batch.count)
        let flows = try restarted.get("/api/v1/flows?limit=5000")
        #expect(flows.status == 200)
        #expect(flows.body.split(separator: "\n").count == 2000)
        let kept = try restarted.get("/api/v1/nodes/10.0.0.5:443/tcp")
        #expect((try restarted.jsonObject(kept.body)["status"] as? [String: Any])?["state"] as? String == "DEGRADED")
    }
}
