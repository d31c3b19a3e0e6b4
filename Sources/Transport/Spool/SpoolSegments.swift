import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// The spool's segment files and the recovery of the last one after a crash.
struct SpoolSegments {
    struct Segment {
        var firstSeq: UInt64
        var path: String
        var bytes: UInt64
    }

    let directory: String
    var list: [Segment] = []

    /// Lists the segments and recovers the last one: a torn tail is cut at its last whole record.
    /// Returns the next sequence number to assign.
    mutating func load() throws(ExportError) -> UInt64 {
        guard let dir = opendir(directory) else { throw ExportError(.last("opendir", path: directory)) }
        defer { closedir(dir) }
        list = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let first = SpoolFormat.firstSeq(fileName: name) else { continue }
            let path = directory + "/" + name
            var st = stat()
            guard stat(path, &st) == 0 else { continue }
            list.append(Segment(firstSeq: first, path: path, bytes: UInt64(st.st_size)))
        }
        list.sort { $0.firstSeq < $1.firstSeq }
        guard var last = list.last else { return 0 }
        let (nextSeq, validEnd) = try Self.scan(last.path, firstSeq: last.firstSeq)
        if validEnd < last.bytes {
            if truncate(last.path, off_t(validEnd)) != 0 { throw ExportError(.last("truncate", path: last.path)) }
            last.bytes = validEnd
            list[list.count - 1] = last
        }
        return nextSeq
    }

    /// Reads a segment: the sequence number after its last valid record and the end of that record.
    static func scan(_ path: String, firstSeq: UInt64) throws(ExportError) -> (UInt64, UInt64) {
        let bytes = try readFile(path)
        var next = firstSeq
        var end = min(UInt64(bytes.count), UInt64(SpoolFormat.fileHeaderSize))
        bytes.withUnsafeBytes { raw in
            var offset = SpoolFormat.fileHeaderSize
            while offset < raw.count {
                switch SpoolFormat.parse(raw, at: offset) {
                case .record(let record, let length):
                    next = max(next, record.seq &+ 1)
                    offset += length
                    end = UInt64(offset)
                case .incomplete:
                    return
                case .damaged:
                    // Keep scanning past damage: later whole records still count.
                    guard let resumed = SpoolFormat.resync(raw, from: offset + 1) else { return }
                    offset = resumed
                }
            }
        }
        return (next, end)
    }

    static func readFile(_ path: String) throws(ExportError) -> [UInt8] {
        guard let bytes = try ExportError.io({ () throws(SystemError) in try FileSystem.readFile(path) }) else {
            throw ExportError(SystemError(ENOENT, "open", path: path))
        }
        return bytes
    }
}
