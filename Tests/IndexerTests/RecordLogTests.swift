import Foundation
@testable import Indexer
import PcapFormat
import Testing

/// The record log (offsets and times kept as the records section's own encoding while packets are
/// added) and the two-step index write (stage, then publish or discard).
@Suite("Record log and staged index writes")
struct RecordLogTests {
    /// Times that go backwards now and then (merged sources, clock steps), in microseconds so the
    /// pcap records hold them exactly.
    static func micros(_ n: Int) -> Int64 {
        Int64(1_700_000_000_000_000) + Int64(n) * 997 - (n % 7 == 3 ? 5_000 : 0)
    }

    @Test("offsets and times read back from the sealed index are the ones added", arguments: [1, 63, 64, 65, 1_000, 4_097])
    func offsetsAndTimes(count: Int) throws {
        let builder = SegmentIndexBuilder(fields: .default, linkType: 1, expectedPackets: 16)
        var offsets: [UInt64] = []
        var offset: UInt64 = 24
        var end: UInt64 = 0
        for n in 0..<count {
            let bytes = Scenario.packet(n)
            offsets.append(offset)
            bytes.withUnsafeBytes { builder.add(recordOffset: offset, timestampNanos: Self.micros(n) * 1_000, bytes: $0) }
            end = offset + UInt64(16 + bytes.count)
            offset = end + UInt64(n % 3)  // gaps of several sizes, up to 2-byte varints
        }
        let index = try builder.makeIndex()
        var cursor = RecordCursor(index.records)
        for n in 0..<count {
            #expect(try cursor.offset(of: UInt32(n)) == offsets[n], "record \(n)")
            let block = try cursor.time(ofBlock: cursor.blockNumber(of: UInt32(n)))
            let t = Self.micros(n) * 1_000
            #expect(block.minNanos <= t && t <= block.maxNanos, "record \(n)")
        }
        // Block bounds are exact: each is reached by one of its records.
        for b in 0..<index.records.blockCount {
            let block = try index.records.block(b)
            let times = (b * 64..<min(count, b * 64 + 64)).map { Self.micros($0) * 1_000 }
            #expect(block.minNanos == times.min() && block.maxNanos == times.max(), "block \(b)")
        }
        #expect(index.firstNanos == (0..<count).map { Self.micros($0) * 1_000 }.min())
        #expect(index.lastNanos == (0..<count).map { Self.micros($0) * 1_000 }.max())
        #expect(index.coveredBytes == end)
    }

    @Test("snapshot chunks cut inside a record block answer time ranges exactly")
    func snapshotTimeRanges() throws {
        let dir = TempDirectory("vigie-recordlog")
        defer { dir.cleanup() }
        let path = dir.file(".000000000003.pcap.partial")
        var pcap = TestPcap(linkType: 1)
        let builder = SegmentIndexBuilder(fields: .default, linkType: 1)
        var times: [Int64] = []
        // Snapshot marks that are not multiples of the 64-record block: every chunk after the first
        // starts inside a block of the builder's log.
        for (round, size) in [100, 37, 250, 1, 300, 77].enumerated() {
            for _ in 0..<size {
                let n = times.count
                let us = Self.micros(n)
                pcap.add(Scenario.packet(n), seconds: UInt32(us / 1_000_000), fraction: UInt32(us % 1_000_000))
                let offset = pcap.recordOffsets.last!
                Scenario.packet(n).withUnsafeBytes { builder.add(recordOffset: offset, timestampNanos: us * 1_000, bytes: $0) }
                times.append(us * 1_000)
            }
            try pcap.write(to: path)
            let snapshot = builder.snapshot()
            #expect(snapshot.recordCount == times.count, "round \(round)")
            let ref = SegmentRef(id: 3, pcapPath: path, snapshot: snapshot, linkType: 1)
            let span = times.max()! - times.min()!
            for (lo, hi) in [(0.0, 1.0), (0.1, 0.3), (0.33, 0.34), (0.5, 0.9), (0.95, 1.01)] {
                let from = times.min()! + Int64(Double(span) * lo), to = times.min()! + Int64(Double(span) * hi)
                // Scenario.packet(n) comes from 10.0.0.3 for odd n.
                let expected = times.indices.filter { times[$0] >= from && times[$0] < to && $0 % 2 == 1 }.count
                var got = 0
                let request = QueryRequest(query: try QueryParser.parse("src host 10.0.0.3"), from: from, to: to)
                _ = try QueryEngine(segments: [ref]).run(request) { p in
                    #expect(p.header.timestampNanos >= from && p.header.timestampNanos < to)
                    got += 1
                    return true
                }
                #expect(got == expected, "round \(round), [\(lo), \(hi))")
                let counted = QueryEngine(segments: [ref]).count(request)
                #expect(counted.packets == UInt64(expected), "count, round \(round), [\(lo), \(hi))")
            }
        }
    }

    @Test("a staged index is invisible until published, and discarding removes it")
    func stageThenPublishOrDiscard() throws {
        let dir = TempDirectory("vigie-stage")
        defer { dir.cleanup() }
        let live = SegmentIndexBuilder(fields: .default, linkType: 1, expectedPackets: 64)
        let fresh = SegmentIndexBuilder(fields: .default, linkType: 1)
        var offset: UInt64 = 24
        for n in 0..<500 {
            Scenario.packet(n).withUnsafeBytes {
                live.add(recordOffset: offset, timestampNanos: Int64(n), bytes: $0)
                fresh.add(recordOffset: offset, timestampNanos: Int64(n), bytes: $0)
                offset += UInt64(16 + $0.count)
            }
        }
        let path = dir.file("000000000001.idx")
        let sealed = live.sealed()
        try sealed.stage(to: path)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(FileManager.default.fileExists(atPath: dir.file(".000000000001.idx.tmp")))
        // The buffers are back with the live builder: staging twice is refused.
        #expect(throws: IndexError.self) { try sealed.stage(to: path) }
        try sealed.publishStaged()
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == fresh.serialize())
        #expect(!FileManager.default.fileExists(atPath: dir.file(".000000000001.idx.tmp")))

        Scenario.packet(1).withUnsafeBytes { live.add(recordOffset: 24, timestampNanos: 1, bytes: $0) }
        let dropped = live.sealed()
        let other = dir.file("000000000002.idx")
        try dropped.stage(to: other)
        dropped.discardStaged()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["000000000001.idx"])
        try dropped.publishStaged()  // nothing staged any more: nothing published
        #expect(!FileManager.default.fileExists(atPath: other))
    }
}
