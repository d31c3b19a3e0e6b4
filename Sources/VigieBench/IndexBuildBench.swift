import ArgumentParser
import Indexer
import PcapFormat

/// Indexing CPU cost over a capture held in memory: the per-packet `add` (the capture thread's
/// share) and the per-segment sort + serialisation (the sort queue's share), with no file I/O, so
/// the figures do not move with the disk or the page cache.
struct IndexBuildBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index-build",
        abstract: "Index builder speed (add, then sort + serialise per segment) over a capture held in memory.")

    @Option(help: "Capture file (pcap or pcapng).") var pcap: String
    @Option(help: "Segment size in bytes (packets are cut into segments as the store would).") var segmentSize = 256_000_000
    @Option(help: "Timed rounds (the best of each phase is reported).") var rounds = 5

    func run() throws {
        let capture = try LoadedCapture(path: pcap)
        let n = capture.offsets.count
        let segmentSize = UInt64(self.segmentSize)  // a plain local: the option's getter is generic
        let offsets = capture.offsets, lengths = capture.lengths, timestamps = capture.timestamps
        print("loaded \(n) packets, \(capture.bytes.count) bytes")
        let builder = SegmentIndexBuilder(fields: .default, linkType: capture.linkType,
                                          expectedPackets: Int(segmentSize / 64))
        let staging = UnsafeMutableRawPointer.allocate(byteCount: 1 << 18, alignment: 64)
        defer { staging.deallocate() }
        let copyTime = (1...3).map { _ in
            capture.bytes.withUnsafeBytes { all in
                let t0 = monotonicSeconds()
                for i in 0..<n {
                    staging.copyMemory(from: all.baseAddress! + offsets[i], byteCount: lengths[i])
                }
                return monotonicSeconds() - t0
            }
        }.min()!
        print("copy into a staging buffer alone: \(ms(copyTime)) ms (subtracted from add)")
        var bestAdd = Double.infinity, bestSeal = Double.infinity
        var indexBytes = 0
        for round in 1...max(1, rounds) {
            var addTime = 0.0, sealTime = 0.0
            var offset: UInt64 = 24
            indexBytes = 0
            capture.bytes.withUnsafeBytes { all in
                var t0 = monotonicSeconds()
                func close() {
                    let t1 = monotonicSeconds()
                    addTime += t1 - t0
                    let sealed = builder.sealed()
                    sealed.prepare()
                    indexBytes += sealed.preparedByteCount
                    sealed.discard()
                    t0 = monotonicSeconds()
                    sealTime += t0 - t1
                }
                for i in 0..<n {
                    let length = lengths[i]
                    if offset + UInt64(16 + length) > segmentSize && offset > 24 {
                        close()
                        offset = 24
                    }
                    // As in the store: the packet was just copied into the writer's buffer, so it
                    // is in cache when indexed (the copy is timed apart and subtracted).
                    let packet = UnsafeRawBufferPointer(start: staging, count: length)
                    staging.copyMemory(from: all.baseAddress! + offsets[i], byteCount: length)
                    builder.add(recordOffset: offset, timestampNanos: timestamps[i], bytes: packet)
                    offset += UInt64(16 + length)
                }
                close()
            }
            addTime = max(0, addTime - copyTime)
            print("round \(round): add \(ms(addTime)) ms (\(ns(addTime, n)) ns/packet), sort+serialise \(ms(sealTime)) ms (\(ns(sealTime, n)) ns/packet)")
            bestAdd = min(bestAdd, addTime)
            bestSeal = min(bestSeal, sealTime)
        }
        print("best: add \(ns(bestAdd, n)) ns/packet, sort+serialise \(ns(bestSeal, n)) ns/packet, total \(ns(bestAdd + bestSeal, n)) ns/packet; index \(indexBytes) bytes")
        let (rss, hwm) = residentKiB()
        print("RSS \(rss / 1024) MiB, peak \(hwm / 1024) MiB (includes the capture held in memory)")
    }

    private func ms(_ seconds: Double) -> String { String(Int((seconds * 1000).rounded())) }
    private func ns(_ seconds: Double, _ n: Int) -> String { String(Int((seconds / Double(max(n, 1)) * 1e9).rounded())) }
}
