#if canImport(Glibc)
import Glibc
#endif

/// The POSIX file calls the store, the index, the record files and the spool use. Calls that can
/// be interrupted retry on EINTR; failures are `SystemError`s naming the path.
public enum FileSystem {
    /// Opens `path` (`O_CLOEXEC` is always added); returns the descriptor. `operation` names the
    /// call in the error ("create" for a new file reads better in some messages).
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644, as operation: String = "open") throws(SystemError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw .last(operation, path: path) }
        }
    }

    public static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Writes as much of `bytes` as possible: the count written, and the error that stopped it
    /// (a zero-byte write counts as EIO). On a short write the file offset is wherever the kernel
    /// left it.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) -> (written: Int, error: SystemError?) {
        guard let base = bytes.baseAddress else { return (0, nil) }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, base + done, bytes.count - done)
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            return (done, SystemError(n == 0 ? EIO : errno, "write", path: path))
        }
        return (done, nil)
    }

    /// Writes all of `bytes` or throws (see ``write(_:_:path:)``).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(SystemError) {
        if let error = write(fd, bytes, path: path).error { throw error }
    }

    /// Writes `bytes[range]` (the whole array by default) or throws.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], range: Range<Int>? = nil, path: String) throws(SystemError) {
        let error = bytes.withUnsafeBytes { raw in
            write(fd, UnsafeRawBufferPointer(rebasing: raw[range ?? 0..<raw.count]), path: path).error
        }
        if let error { throw error }
    }

    /// Reads up to `count` bytes at `offset`; returns how many were read (short only at end of
    /// file), or -1 when nothing could be read.
    public static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, at offset: UInt64) -> Int {
        guard offset <= UInt64(Int64.max) - UInt64(count) else { return -1 }
        var done = 0
        while done < count {
            let n = Glibc.pread(fd, buffer + done, count - done, off_t(offset) + off_t(done))
            if n > 0 { done += n; continue }
            if n == 0 { break }
            if errno == EINTR { continue }
            return done > 0 ? done : -1
        }
        return done
    }

    /// Reads a whole (small) file; nil if it does not exist.
    public static func readFile(_ path: String) throws(SystemError) -> [UInt8]? {
        let fd: Int32
        do { fd = try open(path, O_RDONLY) } catch {
            if error.code == ENOENT { return nil }
            throw error
        }
        defer { close(fd) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 { out.append(contentsOf: chunk[0..<n]); continue }
            if n == 0 { return out }
            if errno != EINTR { throw .last("read", path: path) }
        }
    }

    public static func fsync(_ fd: Int32, path: String) throws(SystemError) {
        if Glibc.fsync(fd) != 0 { throw .last("fsync", path: path) }
    }

    /// fsyncs a directory so that a rename or unlink inside it is durable (best effort).
    public static func fsyncDirectory(_ path: String) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = Glibc.fsync(fd)
        Glibc.close(fd)
    }

    public static func truncate(_ fd: Int32, to length: Int64, path: String) throws(SystemError) {
        if ftruncate(fd, off_t(length)) != 0 { throw .last("ftruncate", path: path) }
    }

    /// Renames `from` to `to`; the error names `to`.
    public static func rename(_ from: String, _ to: String) throws(SystemError) {
        if Glibc.rename(from, to) != 0 { throw .last("rename", path: to) }
    }

    /// Removes a file; a file that is already gone is not an error.
    public static func remove(_ path: String) throws(SystemError) {
        if unlink(path) != 0 && errno != ENOENT { throw .last("unlink", path: path) }
    }

    /// Creates a directory; one that exists already is fine.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        if mkdir(path, mode) != 0 && errno != EEXIST { throw .last("mkdir", path: path) }
    }

    /// True when `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The size of the file system holding `path` (or its nearest existing parent) and the bytes
    /// an unprivileged writer may still use there; nil when statvfs fails. Products beyond UInt64
    /// saturate.
    public static func space(_ path: String) -> (total: UInt64, available: UInt64)? {
        var p = path
        while !p.isEmpty && access(p, F_OK) != 0 {
            guard let slash = p.lastIndex(of: "/") else { p = "."; break }
            p = slash == p.startIndex ? "/" : String(p[..<slash])
        }
        var st = statvfs()
        guard statvfs(p.isEmpty ? "." : p, &st) == 0 else { return nil }
        func bytes(_ blocks: UInt64) -> UInt64 {
            let (v, o) = blocks.multipliedReportingOverflow(by: UInt64(st.f_frsize))
            return o ? .max : v
        }
        return (bytes(UInt64(st.f_blocks)), bytes(UInt64(st.f_bavail)))
    }

    /// Size in bytes; nil when the file cannot be stat'ed (does not exist).
    public static func fileSize(_ path: String) -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_size)
    }

    /// Names in a directory (no "." or ".."); empty when it cannot be read.
    public static func list(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names = [String]()
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The directory part of `path` ("." when there is none).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of `path`.
    public static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
