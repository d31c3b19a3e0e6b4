import Foundation
import Indexer
import PcapFormat
import PcapKit
import Testing
import VigieTestSupport

@testable import Agent

/// Planned recordings replayed through `vigie-agent ingest`: what a recording stores equals, packet
/// for packet and byte for byte, what tcpdump (filter), editcap (`-A`/`-B` window, `-s` snap
/// length) and mergecap make of the same capture.
@Suite("Planned recordings: window, filter, snaplen, repetition", .serialized,
       .enabled(if: Support.hasTool("tcpdump") && Support.hasTool("editcap") && Support.hasTool("tshark"), "needs tcpdump, editcap and tshark"))
struct RecordingWindowTests {
    /// A packet as both sides are compared: time (ns), length on the wire, captured bytes.
    struct Packet: Hashable, CustomStringConvertible {
        var nanos: Int64
        var originalLength: UInt32
        var bytes: [UInt8]
        var description: String { "\(nanos) len=\(originalLength) cap=\(bytes.count)" }
    }

    /// The packets of a capture file, in time order (the query output is merged by time; the
    /// references keep file order).
    static func packets(_ path: String) throws -> [Packet] {
        let r = try CaptureFileReader(path: path)
        var out: [Packet] = []
        while case .packet(let h, let b) = try r.next() {
            out.append(Packet(nanos: h.timestampNanos, originalLength: h.originalLength, bytes: Array(b)))
        }
        return out.sorted { $0.nanos != $1.nanos ? $0.nanos < $1.nanos : $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }

    /// A generated capture of mixed traffic (TCP, UDP/DNS, ...) and its packet times (tshark's).
    static func capture(in dir: String, packets: Int) throws -> (path: String, times: [String]) {
        let gen = URL(fileURLWithPath: Support.agentBinary).deletingLastPathComponent().appendingPathComponent("vigie-gen").path
        let path = dir + "/in.pcap"
        let g = try Support.run([gen, "-o", path, "--packets", "\(packets)"])
        #expect(g.status == 0, "\(g.stderr)")
        let times = try Support.run(["tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.time_epoch"]).stdout
            .split(separator: "\n").map(String.init)
        return (path, times)
    }

    /// Ingests `input` with a config holding `recording` (YAML lines of one list item), then exports
    /// the recording with `vigie-agent query` (the query engine's path).
    static func ingestAndExport(_ input: String, dir: String, recording: String) throws -> [Packet] {
        let config = dir + "/agent.yaml"
        try """
            store: \(dir)/s
            analytics:
              enabled: false
            recordings:
            \(recording)
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let ing = try Support.run([Support.agentBinary, "ingest", "--config", config, "--no-progress", input])
        #expect(ing.status == 0, "\(ing.stderr)")
        let out = dir + "/rec.pcap"
        let q = try Support.run([Support.agentBinary, "query", "--store", dir + "/s/recordings/r", "-w", out])
        #expect(q.status == 0, "\(q.stderr)")
        return try packets(out)
    }

    @Test("a window in the middle, a filter and a snap length: equal to tcpdump | editcap -A -B -s")
    func windowFilterSnaplen() throws {
        let dir = Support.temporaryDirectory("rec-window")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (input, times) = try Self.capture(in: dir, packets: 4000)
        try #require(times.count == 4000)
        let start = times[1000], end = times[3000]
        let got = try Self.ingestAndExport(input, dir: dir, recording: """
              - id: r
                start: "\(start)"
                end: "\(end)"
                filter: "tcp"
                snaplen: 80
                quota: 64MiB
            """)
        let filtered = dir + "/tcp.pcap", expected = dir + "/expected.pcap"
        #expect(try Support.run(["tcpdump", "--time-stamp-precision=nano", "-r", input, "-w", filtered, "tcp"]).status == 0)
        let e = try Support.run(["editcap", "-A", start, "-B", end, "-s", "80", filtered, expected])
        #expect(e.status == 0, "\(e.stderr)")
        let want = try Self.packets(expected)
        #expect(want.count > 100, "the window and filter should select traffic: \(want.count)")
        #expect(want.contains { $0.originalLength > 80 }, "some packets should be cut")
        #expect(got.count == want.count)
        #expect(got == want, "first difference: \(zip(got, want).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "-")")
        // The main store got everything, untouched by the recording.
        let all = try Support.run([Support.agentBinary, "query", "--store", dir + "/s", "--count"])
        #expect(all.stdout.hasPrefix("4000 packets"), "\(all.stdout)")
        // A one-off recording past its end is done.
        let defs = try RecordingBook(store: dir + "/s").load()
        #expect(defs.map(\.state) == [.done])
        // `vigie-agent recordings` shows it with what its store holds.
        let listed = try Support.run([Support.agentBinary, "recordings", "--store", dir + "/s", "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let items = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]
        #expect(items?.first?["id"] as? String == "r" && items?.first?["state"] as? String == "done")
        #expect(items?.first?["packets"] as? Int == want.count)
    }

    @Test("an 'every' recording stores each occurrence and nothing between: equal to editcap per occurrence, merged")
    func everyOccurrence() throws {
        let dir = Support.temporaryDirectory("rec-every")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (input, times) = try Self.capture(in: dir, packets: 3000)
        guard let first = times.first.flatMap(Double.init), let last = times.last.flatMap(Double.init) else {
            Issue.record("no packet times")
            return
        }
        // Microseconds, so that the YAML times and period are exact: start at 1/10 of the span,
        // one occurrence of span/20 every span/5 (4 or 5 occurrences inside the capture).
        let spanUS = Int64((last - first) * 1e6)
        try #require(spanUS >= 1000, "capture too short: \(spanUS) us")
        let startUS = Int64((first * 1e6).rounded(.up)) + spanUS / 10
        let durUS = spanUS / 20, periodUS = spanUS / 5
        func epoch(_ us: Int64) -> String { String(format: "%lld.%06lld", us / 1_000_000, us % 1_000_000) }
        let got = try Self.ingestAndExport(input, dir: dir, recording: """
              - id: r
                start: "\(epoch(startUS))"
                end: "\(epoch(startUS + durUS))"
                repeat: every \(epoch(periodUS))s
                index_fields: [dns.qname, tls.sni]
                quota: 64MiB
            """)
        var pieces: [String] = []
        var k: Int64 = 0
        while startUS + k * periodUS <= Int64(last * 1e6) {
            let a = startUS + k * periodUS
            let piece = dir + "/occ\(k).pcap"
            #expect(try Support.run(["editcap", "-A", epoch(a), "-B", epoch(a + durUS), input, piece]).status == 0)
            pieces.append(piece)
            k += 1
        }
        #expect(pieces.count >= 4)
        let merged = dir + "/expected.pcap"
        let m = try Support.run(["mergecap", "-a", "-w", merged] + pieces)
        #expect(m.status == 0, "\(m.stderr)")
        let want = try Self.packets(merged)
        #expect(want.count > 20)
        #expect(got == want, "\(got.count) vs \(want.count)")
        // Nothing between occurrences.
        #expect(got.allSatisfy { p in
            p.nanos >= startUS * 1000 && (p.nanos - startUS * 1000) % (periodUS * 1000) < durUS * 1000
        })
        // Its index has the store's fields plus its own.
        let layout = RecordingBook(store: dir + "/s").layout("r")
        let segments = try SegmentCatalog(readingFrom: layout).segments()
        #expect(!segments.isEmpty)
        for seg in segments {
            let index = try SegmentIndex.open(path: layout.indexPath(seg.id))
            #expect(index.fields == IndexFieldSet.default.union([.dnsQueryName, .tlsServerName]))
        }
        // A repeating recording is never done.
        #expect(try RecordingBook(store: dir + "/s").load().map(\.state) == [.recording])
    }
}
