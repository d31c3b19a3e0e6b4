import Foundation
@testable import Indexer
import Testing

/// `sealed()` hands a segment's buffers to the writer and takes back those of an index written
/// earlier: the recycled storage must never leak packets from one segment into another.
@Suite("Sealed index storage recycling")
struct SealedRecyclingTests {
    /// Packets of segment `n`: distinct ports and addresses per segment, fewer in later segments so a
    /// recycled buffer is larger than what it must hold.
    static func packets(segment n: Int) -> [[UInt8]] {
        (0..<(300 - 60 * n)).map { i -> [UInt8] in
            let tcp: [UInt8] = Build.tcp(src: UInt16(1000 * (n + 1) + i), dst: UInt16(80 + n))
            let ip: [UInt8] = Build.ipv4(src: "10.\(n).0.\(i % 200)", dst: "192.0.2.\(n)", proto: 6, payload: tcp)
            return Build.ethernet(type: 0x0800) + ip
        }
    }

    static func add(_ packets: [[UInt8]], to builder: SegmentIndexBuilder) {
        var offset: UInt64 = 24
        for (i, bytes) in packets.enumerated() {
            bytes.withUnsafeBytes { builder.add(recordOffset: offset, timestampNanos: Int64(i) * 1_000, bytes: $0) }
            offset += UInt64(16 + bytes.count)
        }
    }

    @Test("each sealed segment's index equals a fresh builder's, across recycled storage")
    func recycledIndexesMatchFreshOnes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigie-recycle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let live = SegmentIndexBuilder(fields: .default, linkType: 1, expectedPackets: 64)
        for n in 0..<4 {
            let packets = Self.packets(segment: n)
            Self.add(packets, to: live)
            let sealed = live.sealed()
            #expect(sealed.packetCount == packets.count)
            #expect(live.packetCount == 0)
            let path = dir.appendingPathComponent("\(n).idx").path
            try sealed.write(to: path)
            // Written once: the storage has gone back to the live builder.
            #expect(throws: IndexError.self) { try sealed.write(to: path + ".again") }

            let fresh = SegmentIndexBuilder(fields: .default, linkType: 1)
            Self.add(packets, to: fresh)
            let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(written == fresh.serialize(), "segment \(n)")
            let index = try SegmentIndex.open(path: path, checksums: .always)
            #expect(Int(index.recordCount) == packets.count)
        }
    }
}
