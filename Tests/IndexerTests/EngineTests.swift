import Foundation
import Indexer
import PcapFormat
import Testing

@Suite("Query engine")
struct EngineTests {
    @Test("segments are merged in time order; ties keep segment order; limit stops")
    func merge() throws {
        var scenario = Scenario()
        defer { scenario.cleanup() }
        // Three overlapping segments: 0 and 1 interleave (1 ms steps, offset by 0.5 ms), 2 later.
        try scenario.addSegment(count: 400, start: 1_700_000_000, stepMicros: 1000)
        try scenario.addSegment(count: 400, start: 1_700_000_000, stepMicros: 1000) { i in Scenario.packet(i + 1) }
        try scenario.addSegment(count: 300, start: 1_700_000_001, stepMicros: 500)
        let (rows, stats) = try scenario.run("host 10.0.0.2")
        #expect(rows.count == 1100)
        #expect(stats.segmentsIndexed == 3)
        let ordered = zip(rows, rows.dropFirst()).allSatisfy { a, b in a.2 < b.2 || (a.2 == b.2 && a.0 < b.0) }
        #expect(ordered)
        // Equal times: segment 0's packet first, then segment 1's.
        #expect(rows[0].0 == 0 && rows[1].0 == 1 && rows[0].2 == rows[1].2)
        let (limited, limitedStats) = try scenario.run("host 10.0.0.2", limit: 10)
        #expect(limited.count == 10 && limitedStats.limitReached)
        #expect(limited.map(\.2) == rows.prefix(10).map(\.2))
        // The answer of a selective query, across segments.
        let (selective, _) = try scenario.run("src host 10.0.0.3 and src port 40001")
        #expect(selective.count == rows.filter { r in
            let d = scenario.segments[r.0].pcap.records[r.1].data
            return d[29] == 3 && (UInt16(d[34]) << 8 | UInt16(d[35])) == 40001
        }.count)
        #expect(!selective.isEmpty)
    }

    @Test("time bounds are exact per packet, from the record headers")
    func timeBounds() throws {
        var scenario = Scenario()
        defer { scenario.cleanup() }
        try scenario.addSegment(count: 1000, start: 1_700_000_000, stepMicros: 1000)
        try scenario.addSegment(count: 1000, start: 1_700_000_001, stepMicros: 1000)
        let base: Int64 = 1_700_000_000_000_000_000
        let from = base + 500_000_000 + 1, to = base + 1_250_000_000
        let (rows, stats) = try scenario.run("tcp", from: from, to: to)
        #expect(rows.count == 499 + 250)
        #expect(rows.allSatisfy { $0.2 >= from && $0.2 < to })
        #expect(stats.segmentsInRange == 2)
        // The same through the query language.
        let (viaQuery, _) = try scenario.run("tcp and after 2023-11-14T22:13:20.500000001Z and before 2023-11-14T22:13:21.25Z")
        #expect(viaQuery.map(\.2) == rows.map(\.2))
        // A range past both segments reads neither.
        let (none, noneStats) = try scenario.run("tcp", from: base + 5_000_000_000)
        #expect(none.isEmpty && noneStats.segmentsInRange == 0)
        // Counting agrees, with and without time bounds.
        let engine = QueryEngine(segments: scenario.refs())
        let count = engine.count(QueryRequest(query: try QueryParser.parse("src host 10.0.0.1"), from: from, to: to))
        #expect(count.packets == UInt64(rows.filter { scenario.segments[$0.0].pcap.records[$0.1].data[29] == 1 }.count))
        let all = engine.count(QueryRequest(query: try QueryParser.parse("src host 10.0.0.1")))
        #expect(all.packets == 1000)
        let bytes = scenario.segments.flatMap { s in s.pcap.records.filter { $0.data[29] == 1 } }.reduce(0) { $0 + UInt64($1.data.count) }
        #expect(all.bytes == bytes)
        #expect(engine.count(QueryRequest(query: try QueryParser.parse("tcp"), limit: 7)).packets == 7)
    }

    @Test("a segment deleted before or while it is read: clean end, no leaked descriptors")
    func deletedSegments() throws {
        var scenario = Scenario()
        defer { scenario.cleanup() }
        for k in 0..<4 { try scenario.addSegment(count: 200, start: 1_700_000_000 + UInt32(k)) }
        let refs = scenario.refs()
        let before = openDescriptorCount(under: scenario.dir.path)
        var seen: [UInt64: Int] = [:]
        let stats = try QueryEngine(segments: refs).run(QueryRequest(query: try QueryParser.parse("tcp"))) { p in
            seen[p.segmentID, default: 0] += 1
            if p.segmentID == 1 && seen[1] == 1 {
                unlink(refs[0].pcapPath)  // the one being read: its open descriptor keeps it readable
                unlink(refs[2].pcapPath)  // a later one: gone before it is opened
            }
            return true
        }
        #expect(seen[1] == 200 && seen[2] == 200 && seen[3] == nil && seen[4] == 200)
        #expect(stats.segmentsSkipped == 1)
        #expect(stats.problems.contains { $0.contains("no longer exists") })
        #expect(openDescriptorCount(under: scenario.dir.path) == before)
        // Stopping early (sink, limit, thrown error) closes everything too.
        struct Stop: Error {}
        _ = try QueryEngine(segments: refs).run(QueryRequest(query: try QueryParser.parse("tcp"), limit: 3)) { _ in true }
        _ = try QueryEngine(segments: refs).run(QueryRequest(query: try QueryParser.parse("tcp"))) { _ in false }
        #expect(throws: Stop.self) { _ = try QueryEngine(segments: refs).run(QueryRequest(query: try QueryParser.parse("tcp"))) { _ in throw Stop() } }
        #expect(openDescriptorCount(under: scenario.dir.path) == before)
    }

    @Test("no index, or an index without the needed field: the segment is scanned (or skipped)")
    func fallback() throws {
        var scenario = Scenario()
        defer { scenario.cleanup() }
        try scenario.addSegment(count: 300, start: 1_700_000_000, fields: .default)
        let (indexed, s1) = try scenario.run("src host 10.0.0.3")
        let (scanned, s2) = try scenario.run("src host 10.0.0.3", refs: scenario.refs(indexed: false))
        #expect(indexed.map(\.1) == scanned.map(\.1) && indexed.count == 150)
        #expect(s1.segmentsIndexed == 1 && s2.segmentsScanned == 1)
        // `ether host` needs the optional mac field, which this index lacks.
        let (byMAC, s3) = try scenario.run("ether src 66:77:88:99:aa:bb and src host 10.0.0.1")
        #expect(byMAC.count == 150 && s3.segmentsScanned == 1)
        var noScan = QueryRequest(query: try QueryParser.parse("ether src 66:77:88:99:aa:bb"))
        noScan.allowScan = false
        let stats = try QueryEngine(segments: scenario.refs()).run(noScan) { _ in true }
        #expect(stats.packets == 0 && stats.segmentsSkipped == 1 && !stats.problems.isEmpty)
    }

    @Test("the segment being written is queryable through incremental snapshots")
    func snapshots() throws {
        let dir = TempDirectory("vigie-snapshot")
        defer { dir.cleanup() }
        let path = dir.file(".000000000007.pcap.partial")
        var pcap = TestPcap(linkType: 1)
        let builder = SegmentIndexBuilder(fields: .all, linkType: 1)
        let offsets = { () -> [UInt64] in pcap.recordOffsets }
        var expectedHost3 = 0
        for round in 0..<12 {
            // Append 250 packets to the "partial" file and to the builder, then snapshot.
            for i in 0..<250 {
                let n = round * 250 + i
                pcap.add(Scenario.packet(n), seconds: 1_700_000_000 + UInt32(n / 1000), fraction: UInt32(n % 1000) * 1000)
                let r = pcap.records.last!
                r.data.withUnsafeBytes {
                    builder.add(recordOffset: offsets().last!, timestampNanos: 1_700_000_000_000_000_000 + Int64(n) * 1_000_000, bytes: $0)
                }
                if n % 2 == 1 { expectedHost3 += 1 }
            }
            try pcap.write(to: path)
            let snapshot = builder.snapshot()
            #expect(snapshot.recordCount == (round + 1) * 250)
            let ref = SegmentRef(id: 7, pcapPath: path, snapshot: snapshot, linkType: 1)
            var count = 0
            var last: Int64 = .min
            let stats = try QueryEngine(segments: [ref]).run(QueryRequest(query: try QueryParser.parse("src host 10.0.0.3"))) { p in
                count += 1
                #expect(p.header.timestampNanos > last)
                last = p.header.timestampNanos
                return true
            }
            #expect(count == expectedHost3 && stats.segmentsIndexed == 1, "round \(round)")
        }
        // A snapshot ahead of the file (buffered packets not flushed yet) ends cleanly at the file's end.
        for i in 0..<10 {
            Scenario.packet(i).withUnsafeBytes { builder.add(recordOffset: builder.coveredBytes, timestampNanos: 1_800_000_000_000_000_000, bytes: $0) }
        }
        let ahead = SegmentRef(id: 7, pcapPath: path, snapshot: builder.snapshot(), linkType: 1)
        let stats = try QueryEngine(segments: [ahead]).run(QueryRequest(query: try QueryParser.parse("tcp"))) { _ in true }
        #expect(stats.packets == 3000 && stats.problems.isEmpty)
    }

    @Test("application terms select the flow's packets in every segment of the range")
    func flowsAcrossSegments() throws {
        var scenario = Scenario()
        defer { scenario.cleanup() }
        let hello = Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.0.0.5", dst: "10.0.0.6", proto: 6,
                                                                payload: Build.tcp(src: 50000, dst: 443, payload: Build.clientHello(sni: "db.Example.com")))
        let data = { (i: Int) -> [UInt8] in
            Build.ethernet(type: 0x0800) + Build.ipv4(src: i % 2 == 0 ? "10.0.0.6" : "10.0.0.5", dst: i % 2 == 0 ? "10.0.0.5" : "10.0.0.6", proto: 6,
                                                      payload: Build.tcp(src: i % 2 == 0 ? 443 : 50000, dst: i % 2 == 0 ? 50000 : 443, payload: [1, 2, 3]))
        }
        let other = { (i: Int) -> [UInt8] in
            Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.0.0.5", dst: "10.0.0.7", proto: 17,
                                                      payload: Build.udp(src: 40000, dst: 53, payload: Build.dnsQuery("www.example.org", id: UInt16(i))))
        }
        try scenario.addSegment(count: 10, start: 1_700_000_000) { i in i == 2 ? hello : i % 3 == 0 ? other(i) : data(i) }
        try scenario.addSegment(count: 10, start: 1_700_000_010) { i in i % 3 == 0 ? other(i) : data(i) }
        try scenario.addSegment(count: 10, start: 1_700_000_020, fields: .default) { i in i % 3 == 0 ? other(i) : data(i) }
        for q in ["tls.sni db.example.com", "tls.sni *.EXAMPLE.com", "tls.sni *.com", "tls.sni *"] {
            let (rows, _) = try scenario.run(q)
            // Segment 0: 1 hello + 5 data; segments 1 and 2 (2 without the SNI field: scanned): 6 data each.
            #expect(rows.count == 18, "\(q)")
        }
        #expect(try scenario.run("tls.sni example.com").0.isEmpty)
        #expect(try scenario.run("tls.sni *.example.com and src port 443").0.count == 8)
        #expect(try scenario.run("dns.qname www.example.org").0.count == 12)
        #expect(try scenario.run("dns.qname *.example.org and not tls.sni *").0.count == 12)
        // Restricting the time range to segment 1: the name was seen in segment 0, so nothing.
        #expect(try scenario.run("tls.sni db.example.com", from: 1_700_000_010_000_000_000, to: 1_700_000_011_000_000_000).0.isEmpty)
    }

    @Test("pcap output: readable by tcpdump, same packets; mixed link types refused")
    func pcapOutput() throws {
        var scenario = Scenario()
        defer { scenario.cleanup() }
        try scenario.addSegment(count: 100, start: 1_700_000_000)
        try scenario.addSegment(count: 100, start: 1_700_000_001, nanosecond: true)
        let out = scenario.dir.file("out.pcap")
        let fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let stats = try QueryEngine(segments: scenario.refs()).writePcap(QueryRequest(query: try QueryParser.parse("src host 10.0.0.1")), to: fd)
        close(fd)
        #expect(stats.packets == 100)
        let written = try TestPcap.parse([UInt8](Data(contentsOf: URL(fileURLWithPath: out))))
        #expect(written.nanosecond && written.linkType == 1 && written.records.count == 100)
        let expected = scenario.segments.flatMap { s in s.pcap.records.filter { $0.data[29] == 1 } }
        #expect(written.records.map(\.data) == expected.map(\.data))
        // Microsecond records were converted to nanoseconds exactly.
        #expect(written.records[0].fraction == expected[0].fraction * 1000 && written.records[99].fraction == expected[99].fraction)
        if let tcpdump = TestEnvironment.tcpdump {
            let (data, _, status) = try TestEnvironment.run(tcpdump, ["-r", out, "-w", "-", "--time-stamp-precision=nano", "src host 10.0.0.1"])
            let parsed = try TestPcap.parse([UInt8](data))
            #expect(status == 0 && parsed.records.count == 100)
        }
        try scenario.addSegment(count: 5, start: 1_700_000_002, linkType: 101) { _ in Build.ipv4(proto: 6, payload: Build.tcp()) }
        #expect(throws: ExtractionError.self) {
            _ = try QueryEngine(segments: scenario.refs()).writePcap(QueryRequest(query: try QueryParser.parse("tcp")), to: fd)
        }
        let devNull = open("/dev/null", O_WRONLY)
        defer { close(devNull) }
        var one = QueryRequest(query: try QueryParser.parse("tcp"))
        one.linkType = 101
        #expect(try QueryEngine(segments: scenario.refs()).writePcap(one, to: devNull).packets == 5)
    }
}
