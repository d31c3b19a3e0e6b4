import Foundation
@testable import Indexer
import Testing
import VigieTestSupport

@Suite("Index file format and robustness")
struct IndexFileTests {
    @Test("write, open, header values, verify; no temporary left behind")
    func roundTrip() throws {
        var scenario = Scenario("vigie-index")
        defer { scenario.cleanup() }
        let s = try scenario.addSegment(count: 1000, start: 1_700_000_000)
        let index = try SegmentIndex.open(path: s.indexPath, checksums: .always)
        #expect(index.recordCount == 1000)
        #expect(index.linkType == 1)
        #expect(index.fields == .all)
        #expect(index.coveredBytes == UInt64(s.pcap.encoded().count))
        let first: Int64 = 1_700_000_000_000_000_000, last: Int64 = 1_700_000_000_999_000_000
        #expect(index.firstNanos == first)
        #expect(index.lastNanos == last)
        try index.verify()
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scenario.dir.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
        #expect(SegmentIndexFiles.fileName(segmentID: 42) == "000000000042.idx")
        #expect(SegmentIndexFiles.temporaryFileName(segmentID: 42) == ".000000000042.idx.tmp")
        // The index is a small fraction of the segment.
        #expect(index.byteCount * 20 < s.pcap.encoded().count)
    }

    /// Every damaged copy is refused with an error or, if accepted, still answers queries exactly
    /// like a scan of the pcap (the engine falls back on any error). Never a crash.
    @Test("truncated and corrupted indexes are refused or harmless")
    func damage() throws {
        var scenario = Scenario("vigie-damage")
        defer { scenario.cleanup() }
        let s = try scenario.addSegment(count: 3000, start: 1_700_000_000)
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: s.indexPath)))
        let queries = ["host 10.0.0.1", "port 40003 and not src host 10.0.0.3", "tcp", "dst port 80 and host 10.0.0.3"]
        var expected: [String: [Int]] = [:]
        for q in queries { expected[q] = try s.vigie(q, indexed: false) }
        var rng = SplitMix64(seed: 5)
        var codes: [IndexError.Code: Int] = [:]
        for trial in 0..<300 {
            var bad = good
            if trial % 3 == 0 {
                bad.removeLast(1 + Int(rng.next(UInt64(bad.count - 1))))  // truncation
            } else {
                let flips = trial % 3 == 1 ? 1 : 8
                for _ in 0..<flips { bad[Int(rng.next(UInt64(bad.count)))] ^= UInt8(1 << rng.next(8)) }
            }
            try Data(bad).write(to: URL(fileURLWithPath: s.indexPath))
            do {
                _ = try SegmentIndex.open(path: s.indexPath)
                #expect(bad == good, "a damaged index (trial \(trial)) was accepted")
            } catch {
                codes[error.code, default: 0] += 1
                #expect(error.path == s.indexPath)
            }
            if trial % 10 == 0 {
                for q in queries {
                    let got = try s.vigie(q, indexed: true, requireIndex: false)
                    #expect(got == expected[q], "trial \(trial): \(q)")
                }
            }
        }
        #expect(codes[.truncated, default: 0] + codes[.notAnIndex, default: 0] > 50)
        #expect(codes[.checksumMismatch, default: 0] > 100, "\(codes)")
    }

    /// With section checksums skipped, damaged sections reach the readers themselves: every read is
    /// bounds- and order-checked, so the outcome is an error or some answer, never a crash.
    @Test("damaged sections read without checksums never crash the readers")
    func structuralRobustness() throws {
        var scenario = Scenario("vigie-structure")
        defer { scenario.cleanup() }
        let s = try scenario.addSegment(count: 2000, start: 1_700_000_000)
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: s.indexPath)))
        let filters = try ["host 10.0.0.1", "port 40003 and not src host 10.0.0.3", "tcp or vlan", "not ip",
                           "tls.sni *", "dst port 80 and host 10.0.0.3"].map { try QueryParser.parse($0).filter }
        var rng = SplitMix64(seed: 17)
        var errors = 0, answered = 0
        for trial in 0..<400 {
            var bad = good
            for _ in 0..<(1 + trial % 4) {
                let at = 96 + 32 * 16 + Int(rng.next(UInt64(bad.count - 96 - 32 * 16)))  // past header and table
                bad[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            let path = scenario.dir.file("struct.idx")
            try Data(bad).write(to: URL(fileURLWithPath: path))
            let index: SegmentIndex
            do { index = try SegmentIndex.open(path: path, checksums: .headerOnly) } catch { errors += 1; continue }
            for filter in filters {
                do {
                    let ordinals = try SegmentEvaluator(index: index, flows: [:]).evaluate(filter)
                    var cursor = RecordCursor(index.records)
                    for o in ordinals.prefix(50) { _ = try cursor.offset(of: o) }
                    answered += 1
                } catch {
                    errors += 1
                }
            }
        }
        #expect(errors > 0 && answered > 0, "errors \(errors), answered \(answered)")
    }

    @Test("a damaged index is reported and the segment is scanned")
    func fallbackIsReported() throws {
        var scenario = Scenario("vigie-fallback")
        defer { scenario.cleanup() }
        let s = try scenario.addSegment(count: 500, start: 1_700_000_000)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: s.indexPath)))
        bytes[bytes.count - 5] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: s.indexPath))
        let (rows, stats) = try scenario.run("host 10.0.0.3")
        #expect(rows.count == 250)
        #expect(stats.segmentsScanned == 1 && stats.segmentsIndexed == 0)
        #expect(stats.problems.contains { $0.contains("checksum") }, "\(stats.problems)")
        // Not a crash either when the header itself is garbage.
        try Data([UInt8](repeating: 0x41, count: 200)).write(to: URL(fileURLWithPath: s.indexPath))
        #expect(throws: IndexError.self) { try SegmentIndex.open(path: s.indexPath) }
        #expect(try scenario.run("host 10.0.0.3").0.count == 250)
    }

    @Test("posting lists with skip tables answer an intersection without decoding the long list")
    func selectiveIntersection() throws {
        // 200 000 packets: port 80 on all of them, host 10.0.0.9 on 3.
        var scenario = Scenario("vigie-selective")
        defer { scenario.cleanup() }
        let special: Set<Int> = [17, 100_003, 199_998]
        try scenario.addSegment(count: 200_000, start: 1_700_000_000, stepMicros: 10, fields: .default) { i in
            let src = special.contains(i) ? "10.0.0.9" : "10.0.\(i % 200).\(i % 250)"
            return Build.ethernet(type: 0x0800) + Build.ipv4(src: src, dst: "10.1.0.2", proto: 6, payload: Build.tcp(src: UInt16(1024 + i % 60_000), dst: 80))
        }
        let (rows, stats) = try scenario.run("host 10.0.0.9 and port 80")
        #expect(rows.map(\.1) == special.sorted())
        #expect(stats.segmentsIndexed == 1)
    }
}
