#if canImport(Glibc)
import Glibc
#endif

/// The few POSIX file operations the spool needs, retrying on EINTR and throwing `ExportError`.
enum SpoolFile {
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(ExportError) {
        try writeAll(fd, bytes, range: 0..<bytes.count, path: path)
    }

    /// Writes `bytes[range]` (no copy of the slice).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], range: Range<Int>, path: String) throws(ExportError) {
        // withUnsafeBytes rethrows untyped errors: carry the typed one out by hand.
        let failure = bytes.withUnsafeBytes { raw -> ExportError? in
            do throws(ExportError) { try writeAll(fd, UnsafeRawBufferPointer(rebasing: raw[range]), path: path) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(ExportError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = write(fd, base + done, bytes.count - done)
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw .system(n == 0 ? EIO : errno, path: path, doing: "write")
        }
    }

    static func fsyncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// Writes `bytes` to a hidden temporary beside `path`, fsyncs, renames over `path`.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(ExportError) {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let temporary = String(path[..<slash]) + "." + String(path[slash...]) + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .system(errno, path: temporary, doing: "create") }
        defer { close(fd) }
        try writeAll(fd, bytes, path: temporary)
        if fsync(fd) != 0 { throw .system(errno, path: temporary, doing: "fsync") }
        if rename(temporary, path) != 0 { throw .system(errno, path: path, doing: "rename") }
    }
}
