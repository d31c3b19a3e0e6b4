import PcapFormat
#if canImport(Glibc)
import Glibc
#endif

/// Writes extracted packets as a classic little-endian pcap stream (to a file, pipe or socket),
/// through a 256 KiB buffer. Records whose resolution or byte order differ from the output are
/// re-encoded; the others are copied as stored.
final class PcapStreamWriter {
    private let fd: Int32
    private let linkType: UInt32
    private let nanosecond: Bool
    private let buffer: UnsafeMutableRawPointer
    private let capacity = 256 << 10
    private var used = 0

    init(fd: Int32, linkType: UInt32, nanosecond: Bool) {
        self.fd = fd
        self.linkType = linkType
        self.nanosecond = nanosecond
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    func writeHeader() throws {
        let header = PcapFileHeader(resolution: nanosecond ? .nano : .micro, snaplen: 262_144, linkType: linkType).encoded()
        try header.withUnsafeBytes { try append($0) }
    }

    func write(_ packet: MatchedPacket) throws {
        let stored = PcapRecordHeader.load(from: packet.record, at: 0, byteSwapped: false)
        let sameEncoding = packet.nanosecond == nanosecond && stored.capturedLength == packet.header.capturedLength
        if sameEncoding {
            try append(packet.record)
            return
        }
        var fraction = packet.header.fraction
        if packet.nanosecond && !nanosecond { fraction /= 1000 }
        if !packet.nanosecond && nanosecond { fraction = fraction &* 1000 }
        var raw = (UInt64(0), UInt64(0))
        try withUnsafeMutableBytes(of: &raw) { h in
            PcapRecordHeader(seconds: packet.header.seconds, fraction: fraction,
                             capturedLength: packet.header.capturedLength, originalLength: packet.header.originalLength)
                .store(to: h.baseAddress!)
            try append(UnsafeRawBufferPointer(h))
        }
        try append(packet.data)
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if used + bytes.count > capacity { try flush() }
        if bytes.count > capacity { return try writeAll(base, bytes.count) }
        (buffer + used).copyMemory(from: base, byteCount: bytes.count)
        used += bytes.count
    }

    func flush() throws {
        guard used > 0 else { return }
        try writeAll(buffer, used)
        used = 0
    }

    private func writeAll(_ p: UnsafeRawPointer, _ count: Int) throws {
        var done = 0
        while done < count {
            let n = Glibc.write(fd, p + done, count - done)
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw ExtractionError(.writeFailed, n == 0 ? "write returned 0" : String(cString: strerror(errno)))
        }
    }
}
