import Foundation
import Indexer

/// Several segments of generated traffic in a temporary store-like directory.
struct Scenario {
    let dir: TempDirectory
    var segments: [SegmentUnderTest] = []

    init(_ name: String = "vigie-engine") { dir = TempDirectory(name) }

    /// A segment of `count` TCP packets between 10.0.0.1:40000+i%7 and 10.0.0.2:80 (odd ones from
    /// 10.0.0.3), at times `start + i * step` microseconds.
    @discardableResult
    mutating func addSegment(count: Int, start: UInt32, stepMicros: UInt32 = 1000, nanosecond: Bool = false,
                             linkType: UInt32 = 1, fields: IndexFieldSet = .all, packets: ((Int) -> [UInt8])? = nil) throws -> SegmentUnderTest {
        var pcap = TestPcap(linkType: linkType, nanosecond: nanosecond)
        for i in 0..<count {
            let micros = UInt64(i) * UInt64(stepMicros)
            let data = packets?(i) ?? Scenario.packet(i)
            let fraction = UInt32(micros % 1_000_000) * (nanosecond ? 1000 : 1)
            pcap.add(data, seconds: start + UInt32(micros / 1_000_000), fraction: fraction)
        }
        let s = try SegmentUnderTest(pcap, in: dir, name: "seg\(segments.count)", fields: fields)
        segments.append(s)
        return s
    }

    static func packet(_ i: Int) -> [UInt8] {
        let src = i % 2 == 0 ? "10.0.0.1" : "10.0.0.3"
        let tcp = Build.tcp(src: UInt16(40000 + i % 7), dst: 80, payload: [UInt8](repeating: UInt8(i & 0xFF), count: 40 + i % 200))
        return Build.ethernet(type: 0x0800) + Build.ipv4(src: src, dst: "10.0.0.2", proto: 6, payload: tcp)
    }

    func refs(indexed: Bool = true) -> [SegmentRef] {
        segments.enumerated().map { i, s in
            var r = s.ref(indexed: indexed)
            r.id = UInt64(i + 1)
            let times = s.pcap.records.map { Int64($0.seconds) * 1_000_000_000 + Int64($0.fraction) * (s.pcap.nanosecond ? 1 : 1000) }
            r.firstNanos = times.min()
            r.lastNanos = times.max()
            return r
        }
    }

    /// (segment index, record index, time) of each packet a query returns, in order.
    func run(_ query: String, refs: [SegmentRef]? = nil, from: Int64? = nil, to: Int64? = nil, limit: Int? = nil) throws -> ([(Int, Int, Int64)], QueryStats) {
        let refs = refs ?? self.refs()
        var out: [(Int, Int, Int64)] = []
        let stats = try QueryEngine(segments: refs).run(QueryRequest(query: try QueryParser.parse(query), from: from, to: to, limit: limit)) { p in
            let s = Int(p.segmentID) - 1
            out.append((s, segments[s].offsets[p.recordOffset]!, p.header.timestampNanos))
            return true
        }
        return (out, stats)
    }

    func cleanup() { dir.cleanup() }
}

/// Open file descriptors of this process on files under `directory` (other tests run in
/// parallel, so only our own files are counted).
func openDescriptorCount(under directory: String) -> Int {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.filter { fd in
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + fd))?.hasPrefix(directory) == true
    }.count
}
