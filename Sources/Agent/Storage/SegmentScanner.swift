import PcapFormat
import SystemIO

/// Summary of a segment file obtained by reading every record header.
struct SegmentScan {
    var header: PcapFileHeader
    var packets: UInt64 = 0
    var firstNanos: Int64?
    var lastNanos: Int64?
    /// Length of the prefix made of whole records (where to cut a torn file).
    var validLength: Int
    /// Why scanning stopped before the end of the file, if it did.
    var stoppedBy: PcapFormatError?

    /// Scans `path`. Throws only if the file cannot be read or has no valid pcap header.
    static func scan(path: String) throws -> SegmentScan {
        let map = try StorageError.io { () throws(SystemError) in try MappedFile(path: path) }
        var scanner = try PcapRecordScanner(bytes: map.bytes)
        var result = SegmentScan(header: scanner.header, validLength: PcapFileHeader.size)
        let res = scanner.header.resolution
        do {
            while let r = try scanner.next() {
                let t = r.header.nanoseconds(res)
                result.firstNanos = min(result.firstNanos ?? t, t)
                result.lastNanos = max(result.lastNanos ?? t, t)
                result.packets += 1
                result.validLength = r.end
            }
        } catch {
            result.stoppedBy = error
        }
        return result
    }
}
