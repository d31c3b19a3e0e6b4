import Foundation
import Indexer
import PcapFormat
import Testing

/// A pcap written as a store segment with its index, queried through the engine and through
/// tcpdump for comparison.
struct SegmentUnderTest {
    let pcap: TestPcap
    let path: String
    let indexPath: String
    let offsets: [UInt64: Int]

    init(_ pcap: TestPcap, in dir: TempDirectory, name: String, fields: IndexFieldSet = .all) throws {
        self.pcap = pcap
        path = dir.file(name + ".pcap")
        indexPath = dir.file(name + ".idx")
        try pcap.write(to: path)
        let builder = SegmentIndexBuilder(fields: fields, linkType: pcap.linkType, nanosecond: pcap.nanosecond)
        for (i, offset) in pcap.recordOffsets.enumerated() {
            let r = pcap.records[i]
            let nanos = Int64(r.seconds) * 1_000_000_000 + Int64(r.fraction) * (pcap.nanosecond ? 1 : 1000)
            r.data.withUnsafeBytes { builder.add(recordOffset: offset, timestampNanos: nanos, bytes: $0) }
        }
        try builder.write(to: indexPath)
        var map: [UInt64: Int] = [:]
        for (i, o) in pcap.recordOffsets.enumerated() { map[o] = i }
        offsets = map
    }

    func ref(indexed: Bool = true) -> SegmentRef {
        SegmentRef(id: 1, pcapPath: path, indexPath: indexed ? indexPath : nil, linkType: pcap.linkType, nanosecond: pcap.nanosecond)
    }

    /// Record indexes Vigie selects for `query`, indexed or by scanning.
    func vigie(_ query: String, indexed: Bool = true, requireIndex: Bool = true) throws -> [Int] {
        let engine = QueryEngine(segments: [ref(indexed: indexed)])
        var result: [Int] = []
        let stats = try engine.run(QueryRequest(query: try QueryParser.parse(query))) { packet in
            result.append(offsets[packet.recordOffset]!)
            return true
        }
        if indexed && requireIndex && stats.segmentsIndexed != 1 && !pcap.records.isEmpty {
            throw Tcpdump.Failure(message: "query did not use the index: \(stats.problems)")
        }
        return result
    }

    var isEthernet: Bool { pcap.linkType == 1 }

    /// Whether any packet carries a VLAN tag (then the depth runs are needed).
    var hasVLANTags: Bool {
        isEthernet && pcap.records.contains { r in
            r.data.count >= 14 && [0x8100, 0x88A8, 0x9100].contains(UInt16(r.data[12]) << 8 | UInt16(r.data[13]))
        }
    }

    static func notTag(_ offset: Int) -> String {
        "not (ether[\(offset):2] = 0x8100 or ether[\(offset):2] = 0x88a8 or ether[\(offset):2] = 0x9100)"
    }

    /// tcpdump's selection of `expression` seen through up to two VLAN tags: the union of
    /// `D0 and (E)`, `vlan and D1 and (E)`, `vlan and vlan and (E)` where Dn says "no further tag at
    /// depth n". (tcpdump's literal `E or (vlan and (E)) or (vlan and vlan and (E))` is not
    /// this: its offsets accumulate, see docs/query-language.md.) Plain `E` when there are no tags.
    func tcpdumpSeeingThroughVLANs(_ expression: String) throws -> [Int]? {
        guard hasVLANTags else { return try tcpdump([expression]) }
        return try tcpdump([
            "\(Self.notTag(12)) and (\(expression))",
            "vlan and \(Self.notTag(16)) and (\(expression))",
            // Depth 2 whatever follows: with a third tag the network layer is invisible there, which
            // is how Vigie treats packets with three or more tags.
            "vlan and vlan and (\(expression))",
        ])
    }

    /// The union of the records each filter selects (nil if tcpdump refuses one).
    func tcpdump(_ filters: [String]) throws -> [Int]? {
        var all = Set<Int>()
        for f in filters {
            guard let selected = try Tcpdump.select(path, f, nanosecond: pcap.nanosecond) else { return nil }
            all.formUnion(try Tcpdump.indexes(of: selected, in: pcap.records))
        }
        return all.sorted()
    }
}

extension SegmentUnderTest {
    /// The single-segment corpus capture `file` written as a segment in `dir`, and the capture's
    /// path; nil, after saying so, when the corpus, that file or tshark (the reference) is missing.
    static func corpusCapture(_ file: String, in dir: TempDirectory) throws -> (segment: SegmentUnderTest, path: String)? {
        guard let corpus = TestEnvironment.corpus, TestEnvironment.tshark != nil,
              FileManager.default.fileExists(atPath: corpus + "/" + file) else {
            print("SKIP: corpus capture \(file) or tshark missing")
            return nil
        }
        let path = corpus + "/" + file
        let segments = TestPcap.segments(ofCaptureAt: path)
        try #require(segments.count == 1)
        return (try SegmentUnderTest(segments[0], in: dir, name: file), path)
    }
}
