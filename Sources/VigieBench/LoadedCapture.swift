#if canImport(Glibc)
import Glibc
#endif
import PcapFormat

/// A capture file read entirely into memory (one byte buffer + record offsets), so the timed
/// loop measures decoding and flow tracking, not I/O.
struct LoadedCapture {
    var bytes: [UInt8] = []
    var offsets: [Int] = []
    var lengths: [Int] = []
    var timestamps: [Int64] = []
    var linkType: UInt32 = 1

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw BenchError("cannot open \(path)") }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        guard pread(fd, &magic, 4, 0) == 4 else { throw BenchError("\(path): too short") }
        let reader: any CaptureRecordReader
        switch CaptureFileFormat.detect(magic: magic) {
        case .pcap: reader = try ClassicPcapReader(fd: fd)
        case .pcapng: reader = try PcapngReader(fd: fd)
        case .other: throw BenchError("\(path): not pcap or pcapng")
        }
        linkType = reader.format.linkType & 0x03FF_FFFF
        loop: while true {
            switch try reader.next() {
            case .packet(let header, let data):
                offsets.append(bytes.count)
                lengths.append(data.count)
                timestamps.append(header.timestampNanos)
                bytes.append(contentsOf: data)
            case .timeout: continue
            case .end: break loop
            }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// Monotonic wall time in seconds.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// `VmRSS` and `VmHWM` from /proc/self/status, in KiB (0 when unavailable).
func residentKiB() -> (rss: Int, hwm: Int) {
    guard let f = fopen("/proc/self/status", "r") else { return (0, 0) }
    defer { fclose(f) }
    var rss = 0, hwm = 0
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), f) != nil {
        let s = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let value = Int(s.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        if s.hasPrefix("VmRSS:") { rss = value }
        if s.hasPrefix("VmHWM:") { hwm = value }
    }
    return (rss, hwm)
}
