import Foundation
import PcapFormat

/// One pcap record as compared between Vigie and tcpdump.
struct TestRecord: Hashable {
    var seconds: UInt32
    var fraction: UInt32
    var capturedLength: UInt32
    var originalLength: UInt32
    var data: [UInt8]
}

/// A classic pcap file in memory.
struct TestPcap {
    var linkType: UInt32
    var nanosecond = false
    var snaplen: UInt32 = 262_144
    var records: [TestRecord] = []

    /// Appends a packet at time `seconds.fraction`.
    mutating func add(_ data: [UInt8], seconds: UInt32, fraction: UInt32 = 0, originalLength: UInt32? = nil) {
        records.append(TestRecord(seconds: seconds, fraction: fraction, capturedLength: UInt32(data.count),
                                  originalLength: originalLength ?? UInt32(data.count), data: data))
    }

    /// The file bytes (little-endian, like Vigie's segments).
    func encoded() -> [UInt8] {
        var out = PcapFileHeader(resolution: nanosecond ? .nano : .micro, snaplen: snaplen, linkType: linkType).encoded()
        for r in records {
            var h = [UInt8](repeating: 0, count: 16)
            h.withUnsafeMutableBytes {
                PcapRecordHeader(seconds: r.seconds, fraction: r.fraction, capturedLength: r.capturedLength,
                                 originalLength: r.originalLength).store(to: $0.baseAddress!)
            }
            out += h + r.data
        }
        return out
    }

    /// Byte offset of each record's header in `encoded()`.
    var recordOffsets: [UInt64] {
        var offsets: [UInt64] = []
        var at = UInt64(PcapFileHeader.size)
        for r in records {
            offsets.append(at)
            at += 16 + UInt64(r.data.count)
        }
        return offsets
    }

    func write(to path: String) throws {
        try Data(encoded()).write(to: URL(fileURLWithPath: path))
    }

    /// Parses a classic pcap image (e.g. tcpdump's output).
    static func parse(_ bytes: [UInt8]) throws -> TestPcap {
        try bytes.withUnsafeBytes { raw in
            var scanner = try PcapRecordScanner(bytes: raw)
            var pcap = TestPcap(linkType: scanner.header.linkType, nanosecond: scanner.header.resolution == .nano,
                                snaplen: scanner.header.snaplen)
            while let r = try scanner.next() {
                pcap.records.append(TestRecord(seconds: r.header.seconds, fraction: r.header.fraction,
                                               capturedLength: r.header.capturedLength, originalLength: r.header.originalLength,
                                               data: Array(r.data)))
            }
            return pcap
        }
    }

    /// Reads a capture file the way the store ingests it (PcapFormat readers, stopping at the first
    /// damaged record) and splits it into segments of one format each, as the store does.
    static func segments(ofCaptureAt path: String) -> [TestPcap] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        guard pread(fd, &magic, 4, 0) == 4 else { return [] }
        let reader: any CaptureRecordReader
        do {
            switch CaptureFileFormat.detect(magic: magic) {
            case .pcap: reader = try ClassicPcapReader(fd: fd)
            case .pcapng: reader = try PcapngReader(fd: fd)
            case .other: return []
            }
        } catch {
            return []
        }
        var result: [TestPcap] = []
        var current: TestPcap?
        while true {
            guard let next = try? reader.next(), case .packet(let h, let bytes) = next else { break }
            let f = reader.format
            if current == nil || current!.linkType != f.linkType || current!.nanosecond != f.nanosecond {
                if let c = current { result.append(c) }
                current = TestPcap(linkType: f.linkType, nanosecond: f.nanosecond, snaplen: max(f.snaplen, 1))
            }
            current!.records.append(TestRecord(seconds: h.seconds, fraction: h.fraction, capturedLength: h.capturedLength,
                                               originalLength: h.originalLength, data: Array(bytes)))
            current!.snaplen = max(current!.snaplen, h.capturedLength)
        }
        if let c = current { result.append(c) }
        return result
    }
}

/// A fresh directory under /tmp, removed by `cleanup()`.
struct TempDirectory {
    let path: String

    init(_ name: String = "vigie-indexer") {
        let template = NSTemporaryDirectory() + "/\(name)-XXXXXX"
        var buffer = Array(template.utf8CString)
        let made = buffer.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = made.map { String(cString: $0) } ?? NSTemporaryDirectory()
    }

    func file(_ name: String) -> String { path + "/" + name }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}
