#if canImport(Glibc)
import Glibc
#endif
import Records
import SystemIO

/// Reads one sink's records back from the spool, in sequence order, from its cursor on. Owned by
/// that sink's thread. Only fsynced records are returned; damaged records are skipped and counted.
public final class SpoolReader {
    public let sink: String
    private let spool: Spool
    /// The next spool sequence number to return.
    public private(set) var position: UInt64
    private var fd: Int32 = -1
    private var segmentFirstSeq: UInt64 = 0
    private var fileOffset = 0
    private var buffer: [UInt8] = []
    private var bufferStart = 0

    init(spool: Spool, sink: String, position: UInt64) {
        self.spool = spool
        self.sink = sink
        self.position = position
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Goes back to `seq` (e.g. to resend records a sink failed to deliver).
    public func rewind(to seq: UInt64) {
        position = seq
        closeSegment()
    }

    /// Up to `limit` records from the current position, waiting up to `waitSeconds` when none is
    /// durable yet. An empty result means nothing new (yet).
    public func next(limit: Int, waitSeconds: Double) -> [SpoolRecord] {
        var out: [SpoolRecord] = []
        forEachNext(limit: limit, waitSeconds: waitSeconds) { record in
            out.append(SpoolRecord(seq: record.seq, kind: record.kind, key: Array(record.key), payload: Array(record.payload)))
        }
        return out
    }

    /// One record as ``forEachNext(limit:waitSeconds:_:)`` shows it: `key` and `payload` point into
    /// the reader's buffer and are valid only during that call.
    public struct RecordView {
        public var seq: UInt64
        public var kind: RecordKind
        public var key: UnsafeRawBufferPointer
        public var payload: UnsafeRawBufferPointer
    }

    /// Hands up to `limit` records from the current position to `body`, in order, without copying
    /// them (the Kafka sink's path: two allocations a record fewer than ``next(limit:waitSeconds:)``);
    /// waits up to `waitSeconds` when none is durable yet. Returns how many; `body` must not use
    /// the reader.
    @discardableResult
    public func forEachNext(limit: Int, waitSeconds: Double, _ body: (RecordView) -> Void) -> Int {
        let (durable, segments) = spool.waitForData(after: position, seconds: waitSeconds)
        var count = 0
        guard position < durable, !segments.isEmpty else { return count }
        if fd < 0 || !segments.contains(where: { $0.firstSeq == segmentFirstSeq }) {
            guard openSegment(containing: position, segments) else { return count }
        }
        while count < limit && position < durable {
            let parsed = buffer.withUnsafeBytes { SpoolFormat.parse($0, at: bufferStart) }
            switch parsed {
            case .record(let record, let length):
                if record.seq >= durable { return count }
                bufferStart += length
                if record.seq >= position {
                    position = record.seq &+ 1
                    buffer.withUnsafeBytes { raw in
                        body(RecordView(seq: record.seq, kind: record.kind, key: UnsafeRawBufferPointer(rebasing: raw[record.key]),
                                        payload: UnsafeRawBufferPointer(rebasing: raw[record.payload])))
                    }
                    count += 1
                }
            case .incomplete:
                if readMore() { continue }
                // End of this file: move on if a later segment exists, else wait for more.
                guard let next = segments.first(where: { $0.firstSeq > segmentFirstSeq }) else { return count }
                if buffer.count > bufferStart { spool.noteCorrupt() }  // a torn record at a sealed segment's end
                position = max(position, next.firstSeq)
                guard openSegment(containing: position, segments) else { return count }
            case .damaged:
                spool.noteCorrupt()
                let resumed = buffer.withUnsafeBytes { SpoolFormat.resync($0, from: bufferStart + 1) }
                bufferStart = resumed ?? max(bufferStart, buffer.count - 3)
            }
        }
        return count
    }

    private func openSegment(containing seq: UInt64, _ segments: [SpoolSegments.Segment]) -> Bool {
        closeSegment()
        guard let segment = segments.last(where: { $0.firstSeq <= seq }) ?? segments.first else { return false }
        position = max(position, segment.firstSeq)
        fd = open(segment.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        segmentFirstSeq = segment.firstSeq
        fileOffset = SpoolFormat.fileHeaderSize
        return true
    }

    private func closeSegment() {
        if fd >= 0 { close(fd) }
        fd = -1
        buffer.removeAll(keepingCapacity: true)
        bufferStart = 0
    }

    /// Appends the next chunk of the file to the buffer; false at end of file.
    private func readMore() -> Bool {
        if bufferStart > 0 {
            buffer.removeFirst(bufferStart)
            bufferStart = 0
        }
        let chunk = 256 << 10
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        let n = buffer.withUnsafeMutableBytes { raw in
            raw.baseAddress.map { FileSystem.pread(fd, $0 + old, chunk, at: UInt64(fileOffset)) } ?? -1
        }
        buffer.removeLast(chunk - max(n, 0))
        guard n > 0 else { return false }
        fileOffset += n
        return true
    }
}
