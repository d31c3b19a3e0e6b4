import Foundation
import Testing
import VigieTestSupport

/// The whole path with real binaries: a generated capture in which a server starts refusing
/// (vigie-gen --outage) goes through `vigie-agent ingest` into a ring many times smaller than the
/// capture. Analytics sees the services turn DOWN, the store pins the window, and `vigie-agent
/// query` over it returns what tshark finds in the original file there. Released through the API
/// of `vigie-agent serve`, the window goes with the next traffic.
@Suite("Pins end to end", .serialized,
       .enabled(if: Support.hasTool("tshark") && Support.hasTool("curl"), "needs tshark and curl"))
struct PinIngestTests {
    static let quota: UInt64 = 4 << 20
    static let config = """
        storage:
          segment_size: 64KiB
          quota: 4MiB
        analytics:
          window: 5s
          workers: 1
          ring_size: 1MiB
        pins:
          before: 20s
          after: 40s
          quota: 2MiB
          states: [DOWN]
        """

    static func gen(_ out: String, packets: Int, start: String, outage: Bool) throws {
        let bin = URL(fileURLWithPath: Support.agentBinary).deletingLastPathComponent().appendingPathComponent("vigie-gen").path
        var args = [bin, "--output", out, "--packets", "\(packets)", "--rate-pps", "50", "--servers", "3", "--clients", "20",
                    "--seed", "11", "--start", start, "--nanosecond"]
        if outage { args += ["--outage", "600-100000", "--outage-server", "0"] }
        let g = try Support.run(args)
        try #require(g.status == 0, "vigie-gen: \(g.stderr)")
    }

    static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    /// Count, bytes and sorted (time, md5) of the packets of `file` in [from, to) (epoch ns), by tshark.
    static func tshark(_ file: String, from: Int64, to: Int64) throws -> (Int, Int, [String]) {
        let f = seconds(from), t = seconds(to)
        let r = try Support.run(["tshark", "-r", file, "-o", "frame.generate_md5_hash:TRUE",
                                 "-Y", "frame.time_epoch >= \(f) && frame.time_epoch < \(t)",
                                 "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.md5_hash"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        return (lines.count, lines.reduce(0) { $0 + (Int($1.split(separator: "\t").dropFirst().first ?? "") ?? 0) }, lines.sorted())
    }

    static func seconds(_ ns: Int64) -> String {
        let frac = String(ns % 1_000_000_000)
        return "\(ns / 1_000_000_000)." + String(repeating: "0", count: 9 - frac.count) + frac
    }

    @Test("an outage is pinned through a ring 15x smaller than the capture; query over it equals tshark on the original; release lets it go")
    func outageIsPinned() throws {
        let dir = Support.temporaryDirectory("pinsE2E")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = dir + "/s", sample = dir + "/sample.pcap", later = dir + "/later.pcap", conf = dir + "/agent.yaml"
        try Self.config.write(toFile: conf, atomically: true, encoding: .utf8)
        try Self.gen(sample, packets: 150_000, start: "2026-01-01T10:00:00Z", outage: true)
        let ingest = try Support.run([Support.agentBinary, "ingest", "--store", store, "--config", conf, "--no-progress",
                                      "--log-level", "error", sample])
        try #require(ingest.status == 0, "ingest: \(ingest.stderr)")

        // Incident pins on the failing server's services, recorded.
        let file = try Self.json(store + "/pins/pins.json")
        let pins = try #require(file["pins"] as? [[String: Any]])
        let incident = pins.filter { $0["origin"] as? String == "incident" && ($0["service"] as? String ?? "").hasPrefix("172.16.0.1:") }
        try #require(!incident.isEmpty, "no incident pin: \(pins)")
        #expect(incident.allSatisfy { $0["state"] as? String == "DOWN" })
        let records = try Support.recordLines(store).compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let pinRecords = records.filter { $0["kind"] as? String == "pin" }
        let ids = Set(incident.compactMap { $0["id"] as? String })
        #expect(ids.isSubset(of: Set(pinRecords.filter { $0["action"] as? String == "created" }.compactMap { $0["id"] as? String })))
        // The server flaps (REFUSED, then idle between attempts, then REFUSED again): more incident
        // pins than the pin quota holds were made, and the oldest went first.
        let evicted = pinRecords.filter { $0["action"] as? String == "evicted" }.compactMap { $0["id"] as? String }
        let createdOrder = pinRecords.filter { $0["action"] as? String == "created" }.compactMap { $0["id"] as? String }
        #expect(!evicted.isEmpty)
        #expect(evicted.allSatisfy { !ids.contains($0) })
        #expect(Array(createdOrder.prefix(evicted.count)).sorted() == evicted.sorted() || evicted.count < 2,
                "evicted \(evicted), created in order \(createdOrder)")

        // The ring turned over many times and never held more than its quota.
        let status = try Self.json(store + "/state/status.json")
        let storage = try #require(status["storage"] as? [String: Any])
        let deleted = storage["segmentsDeletedByRetention"] as? Int ?? 0, kept = storage["segmentsInStore"] as? Int ?? 0
        #expect(deleted >= 10 * kept, "deleted \(deleted), kept \(kept)")
        #expect((storage["storeBytes"] as? Int ?? .max) <= Int(Self.quota))

        // Over each pin's window, the store answers exactly what the original holds.
        for p in incident {
            let from = try #require(p["from"] as? Int64), to = try #require(p["to"] as? Int64)
            let out = dir + "/window.pcap"
            let q = try Support.run([Support.agentBinary, "query", "--store", store, "--from", Self.seconds(from), "--to", Self.seconds(to), "-w", out, ""])
            try #require(q.status == 0, "query: \(q.stderr)")
            let want = try Self.tshark(sample, from: from, to: to), have = try Self.tshark(out, from: from, to: to)
            #expect(want.0 > 1000, "the window holds \(want.0) packets")
            #expect(have.0 == want.0 && have.1 == want.1, "store \(have.0) packets / \(have.1) bytes, original \(want.0) / \(want.1)")
            let missing = Set(want.2).subtracting(have.2), extra = Set(have.2).subtracting(want.2)
            #expect(missing.isEmpty && extra.isEmpty, "\(missing.count) missing (first \(missing.min() ?? "-")), \(extra.count) extra")
        }
        let windows = incident.compactMap { p -> (Int64, Int64)? in
            guard let f = p["from"] as? Int64, let t = p["to"] as? Int64 else { return nil }
            return (f, t)
        }

        // Release every pin through the API of another process, then more traffic: the window goes.
        let serve = ListeningProcess(log: dir + "/serve.log")
        let port = TestPorts.unused()
        try #require(try serve.start(Support.agentBinary, ["serve", "--store", store, "--listen", "127.0.0.1:\(port)", "--log-level", "info"]).started)
        for id in pins.compactMap({ $0["id"] as? String }) {
            let r = try Support.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", "http://127.0.0.1:\(port)/api/v1/pins/\(id)"])
            #expect(r.stdout == "200")
        }
        serve.stop()
        try Self.gen(later, packets: 40_000, start: "2026-01-01T13:00:00Z", outage: false)
        let again = try Support.run([Support.agentBinary, "ingest", "--store", store, "--config", conf, "--no-progress", "--log-level", "error", later])
        try #require(again.status == 0, "ingest: \(again.stderr)")
        let segments = try Support.run([Support.agentBinary, "segments", "--store", store, "--json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(segments.stdout.utf8)) as? [[String: Any]])
        for (from, to) in windows {
            #expect(!list.contains { ($0["lastNanos"] as? Int64 ?? 0) >= from && ($0["firstNanos"] as? Int64 ?? .max) <= to })
        }
        let after = try Support.recordLines(store).compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let released = Set(after.filter { $0["kind"] as? String == "pin" && $0["action"] as? String == "released" }.compactMap { $0["id"] as? String })
        #expect(ids.isSubset(of: released), "released records: \(released)")
        let left = Set((try Self.json(store + "/pins/pins.json")["pins"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
        #expect(left.isDisjoint(with: ids), "recorded releases leave the file")
    }
}
