import PcapFormat
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// Reads records of one pcap segment by offset with `pread` through a window buffer.
///
/// `pread` (not `mmap`) because the file may be cut or replaced while a query runs: a short read
/// is reported as the end of the usable data instead of a SIGBUS. The descriptor is opened once
/// and closed in `deinit`; if retention unlinks the file meanwhile, the open descriptor keeps its
/// data readable until the query is done with it.
final class SegmentFile {
    let path: String
    let header: PcapFileHeader
    private let fd: Int32
    private var window: UnsafeMutableRawPointer
    private var capacity: Int
    private var windowStart: UInt64 = 0
    private var windowLength = 0
    private let readSize: Int
    /// Largest captured length accepted, as libpcap: 256 KiB or the snaplen if larger.
    private let maxCaptured: UInt32

    enum OpenError: Error {
        case missing
        case unreadable(String)
    }

    /// A record as read: header fields, its time, and views into the window (valid until the next read).
    struct Record {
        var header: PcapRecordHeader
        var timestampNanos: Int64
        var offset: UInt64
        /// The 16-byte record header followed by the captured bytes, as stored in the file.
        var raw: UnsafeRawBufferPointer
        var data: UnsafeRawBufferPointer
    }

    enum ReadResult {
        case record(Record)
        /// No whole record at that offset (the file ends there or was cut).
        case end
        /// The bytes there are not a plausible record.
        case corrupt(String)
    }

    /// Opens `path` and reads its pcap header. `readSize` is how much a miss reads at once (larger
    /// for sequential scans).
    init(path: String, readSize: Int = 64 << 10) throws(OpenError) {
        self.path = path
        let fd: Int32
        do { fd = try FileSystem.open(path, O_RDONLY) } catch {
            if error.code == ENOENT { throw .missing }
            throw .unreadable(error.detail)
        }
        self.readSize = max(readSize, 4096)
        capacity = self.readSize
        window = .allocate(byteCount: capacity, alignment: 16)
        var raw = [UInt8](repeating: 0, count: PcapFileHeader.size)
        let n = raw.withUnsafeMutableBytes { FileSystem.pread(fd, $0.baseAddress!, PcapFileHeader.size, at: 0) }
        do {
            guard n == PcapFileHeader.size else { throw PcapFormatError(.truncatedFileHeader, offset: 0) }
            header = try raw.withUnsafeBytes { (b) throws(PcapFormatError) in try PcapFileHeader.parse(b) }
        } catch {
            close(fd)
            window.deallocate()
            throw .unreadable("\(error)")
        }
        self.fd = fd
        maxCaptured = max(header.snaplen, 262_144)
    }

    deinit {
        close(fd)
        window.deallocate()
    }

    var nanosecond: Bool { header.resolution == .nano }

    /// Reads the record whose header is at `offset`.
    func record(at offset: UInt64) -> ReadResult {
        guard ensure(offset, PcapRecordHeader.size) else { return .end }
        let at = Int(offset - windowStart)
        let h = PcapRecordHeader.load(from: UnsafeRawBufferPointer(start: window, count: windowLength), at: at,
                                      byteSwapped: header.byteSwapped)
        guard h.capturedLength <= maxCaptured else {
            return .corrupt("record at \(offset) claims \(h.capturedLength) captured bytes")
        }
        let total = PcapRecordHeader.size + Int(h.capturedLength)
        guard ensure(offset, total) else { return .end }
        let start = window + Int(offset - windowStart)
        let raw = UnsafeRawBufferPointer(start: start, count: total)
        return .record(Record(header: h, timestampNanos: h.nanoseconds(header.resolution), offset: offset, raw: raw,
                              data: UnsafeRawBufferPointer(start: start + PcapRecordHeader.size, count: Int(h.capturedLength))))
    }

    /// Makes `[offset, offset + length)` present in the window; false at end of file.
    private func ensure(_ offset: UInt64, _ length: Int) -> Bool {
        // Offsets come from an index: refuse absurd ones rather than overflow.
        guard offset <= UInt64(Int64.max) - UInt64(length) else { return false }
        if offset >= windowStart && offset + UInt64(length) <= windowStart + UInt64(windowLength) { return true }
        if length > capacity {
            window.deallocate()
            capacity = max(length, capacity * 2)
            window = .allocate(byteCount: capacity, alignment: 16)
        }
        let want = max(length, min(readSize, capacity))
        let got = FileSystem.pread(fd, window, want, at: offset)
        windowStart = offset
        windowLength = max(got, 0)
        return windowLength >= length
    }
}
