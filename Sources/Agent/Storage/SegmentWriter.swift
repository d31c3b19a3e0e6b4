import PcapFormat
import PcapKit
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// Writes one segment: a classic pcap file, built in a large reusable buffer and written with
/// plain `write(2)` at record boundaries, so that the file on disk always ends on a whole record.
///
/// While open the file is the hidden `.NNN.pcap.partial`; at close the store flushes it and hands
/// its descriptor (`detach()`) to `SegmentFinisher`, which fsyncs and renames it to `NNN.pcap`.
/// Counters distinguish what reached the file (committed) from what is still in the buffer (pending), so that a failed flush (ENOSPC) can be retried or dropped exactly.
final class SegmentWriter {
    let id: UInt64
    let format: SourceFormat
    let partialPath: String
    let finalPath: String
    let openedAt: Int64

    private var fd: Int32
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private var used = 0

    /// Bytes in the file (header included): what is durable modulo fsync.
    private(set) var committedBytes: UInt64 = 0
    private(set) var committedPackets: UInt64 = 0
    private var committedMin: Int64?
    private var committedMax: Int64?
    private(set) var pendingPackets: UInt64 = 0
    private var pendingMin: Int64 = 0
    private var pendingMax: Int64 = 0
    /// Packet time of the first record appended (rotation by duration counts from it).
    private(set) var startNanos: Int64?

    /// File size once the buffer is written.
    var totalBytes: UInt64 { committedBytes + UInt64(used) }
    var totalPackets: UInt64 { committedPackets + pendingPackets }
    /// Earliest and latest packet time in the segment (packets need not be in time order).
    var firstNanos: Int64? {
        guard pendingPackets > 0 else { return committedMin }
        return committedMin.map { min($0, pendingMin) } ?? pendingMin
    }
    var lastNanos: Int64? {
        guard pendingPackets > 0 else { return committedMax }
        return committedMax.map { max($0, pendingMax) } ?? pendingMax
    }

    init(id: UInt64, format: SourceFormat, layout: StoreLayout, openedAt: Int64, bufferBytes: Int = 1 << 20) throws(StorageError) {
        self.id = id
        self.format = format
        let partialPath = layout.partialPath(id)
        self.partialPath = partialPath
        self.finalPath = layout.segmentPath(id)
        self.openedAt = openedAt
        self.capacity = max(bufferBytes, 64 << 10)
        self.fd = try StorageError.io { () throws(SystemError) in try FileSystem.open(partialPath, O_WRONLY | O_CREAT | O_TRUNC) }
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        let header = PcapFileHeader(resolution: format.nanosecond ? .nano : .micro,
                                    snaplen: max(format.snaplen, 1), linkType: format.linkType).encoded()
        // The header goes to disk at once, so even an empty partial segment is a valid pcap file.
        do {
            try StorageError.io { [fd] () throws(SystemError) in try FileSystem.writeAll(fd, header, path: partialPath) }
        } catch {
            close(fd)
            buffer.deallocate()
            throw error
        }
        committedBytes = UInt64(header.count)
    }

    deinit {
        if fd >= 0 { close(fd) }
        buffer.deallocate()
    }

    /// Size on disk of a record for a packet of `capturedLength` bytes.
    @inline(__always)
    static func recordSize(_ capturedLength: UInt32) -> UInt64 { UInt64(PcapRecordHeader.size) + UInt64(capturedLength) }

    /// Appends one record. Throws only when a needed flush fails; the record is then not added.
    @inline(__always)
    func append(_ header: PacketHeader, _ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        let size = PcapRecordHeader.size + bytes.count
        if used + size > capacity {
            try flush()
            if size > capacity { try writeOversized(header, bytes); return }
        }
        storeRecord(header, bytes, at: buffer + used)
        used += size
        let t = header.timestampNanos
        if pendingPackets == 0 {
            pendingMin = t; pendingMax = t
            if startNanos == nil { startNanos = t }
        } else {
            if t < pendingMin { pendingMin = t }
            if t > pendingMax { pendingMax = t }
        }
        pendingPackets += 1
    }

    @inline(__always)
    private func storeRecord(_ header: PacketHeader, _ bytes: UnsafeRawBufferPointer, at p: UnsafeMutableRawPointer) {
        // Segments keep the source's resolution, so the raw fields go back out unchanged.
        PcapRecordHeader(seconds: header.seconds, fraction: header.fraction,
                         capturedLength: UInt32(bytes.count), originalLength: header.originalLength).store(to: p)
        if let base = bytes.baseAddress { (p + PcapRecordHeader.size).copyMemory(from: base, byteCount: bytes.count) }
    }

    /// A record bigger than the whole buffer (only with a tiny buffer): written on its own.
    private func writeOversized(_ header: PacketHeader, _ bytes: UnsafeRawBufferPointer) throws(StorageError) {
        let size = PcapRecordHeader.size + bytes.count
        let tmp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { tmp.deallocate() }
        storeRecord(header, bytes, at: tmp)
        try writeChunk(tmp, size)
        committedBytes += UInt64(size)
        committedPackets += 1
        let t = header.timestampNanos
        committedMin = min(committedMin ?? t, t)
        committedMax = max(committedMax ?? t, t)
        if startNanos == nil { startNanos = t }
    }

    /// Writes the buffer to the file. On failure the file is cut back to its last whole record
    /// and the buffer is kept, so the caller can free space and retry, or `dropPending()`.
    func flush() throws(StorageError) {
        guard used > 0 else { return }
        try writeChunk(buffer, used)
        committedBytes += UInt64(used)
        if pendingPackets > 0 {
            committedMin = min(committedMin ?? pendingMin, pendingMin)
            committedMax = max(committedMax ?? pendingMax, pendingMax)
            committedPackets += pendingPackets
        }
        used = 0
        pendingPackets = 0
    }

    private func writeChunk(_ p: UnsafeRawPointer, _ n: Int) throws(StorageError) {
        do {
            try StorageError.io { () throws(SystemError) in
                try FileSystem.writeAll(fd, UnsafeRawBufferPointer(start: p, count: n), path: partialPath)
            }
        } catch {
            // Undo a short write so the file still ends on a record boundary.
            _ = ftruncate(fd, off_t(committedBytes))
            _ = lseek(fd, off_t(committedBytes), SEEK_SET)
            throw error
        }
    }

    /// Discards what is buffered (after a flush failed and no space could be freed).
    /// Returns the packets and bytes dropped.
    @discardableResult
    func dropPending() -> (packets: UInt64, bytes: UInt64) {
        let dropped = (pendingPackets, UInt64(used))
        used = 0
        pendingPackets = 0
        return dropped
    }

    /// Hands the file descriptor over (after `flush()`), for `SegmentFinisher` to fsync, close and
    /// publish under the final name. The writer no longer owns the file.
    func detach() -> Int32 {
        let f = fd
        fd = -1
        return f
    }

    /// Closes the file without publishing it (the store is giving up on it; recovery handles it).
    func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    func info(state: SegmentState, closedAt: Int64?) -> SegmentInfo {
        SegmentInfo(id: id, file: state == .writing ? StoreLayout.partialFileName(id) : StoreLayout.segmentFileName(id),
                    state: state, linkType: format.linkType, snaplen: format.snaplen, nanosecond: format.nanosecond,
                    firstNanos: firstNanos, lastNanos: lastNanos, packets: totalPackets, bytes: totalBytes,
                    openedAt: openedAt, closedAt: closedAt)
    }
}
