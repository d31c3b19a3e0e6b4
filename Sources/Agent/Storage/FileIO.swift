#if canImport(Glibc)
import Glibc
#endif

/// Thin, throwing wrappers over the POSIX calls the store uses. Every call retries on EINTR
/// and turns errno into a `StorageError` naming the path.
public enum FileIO {
    /// True when `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(StorageError) -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw .system(errno, path: path, doing: "open") }
        }
    }

    /// Writes all `count` bytes or throws; on a short write the file offset is wherever the
    /// kernel left it (callers that need a clean file truncate back themselves).
    static func writeAll(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int, path: String) throws(StorageError) {
        var done = 0
        while done < count {
            let n = Glibc.write(fd, base + done, count - done)
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw .system(n == 0 ? EIO : errno, path: path, doing: "write")
        }
    }

    /// Writes a whole byte array (see `writeAll(_:_:_:path:)`).
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(StorageError) {
        let failure = bytes.withUnsafeBytes { (b) -> StorageError? in
            guard let base = b.baseAddress else { return nil }
            do throws(StorageError) { try writeAll(fd, base, b.count, path: path) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    static func fsync(_ fd: Int32, path: String) throws(StorageError) {
        if Glibc.fsync(fd) != 0 { throw .system(errno, path: path, doing: "fsync") }
    }

    /// fsyncs a directory so that a rename or unlink inside it is durable.
    static func fsyncDirectory(_ path: String) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = Glibc.fsync(fd)
        Glibc.close(fd)
    }

    static func rename(_ from: String, _ to: String) throws(StorageError) {
        if Glibc.rename(from, to) != 0 { throw .system(errno, path: to, doing: "rename") }
    }

    public static func makeDirectory(_ path: String) throws(StorageError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw .system(errno, path: path, doing: "mkdir") }
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func fileSize(_ path: String) -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_size)
    }

    /// Reads a whole (small) file; nil if it does not exist.
    static func readFile(_ path: String) throws(StorageError) -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw .system(errno, path: path, doing: "open")
        }
        defer { Glibc.close(fd) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n > 0 { out.append(contentsOf: chunk[0..<n]); continue }
            if n == 0 { return out }
            if errno != EINTR { throw .system(errno, path: path, doing: "read") }
        }
    }

    /// Publishes `bytes` at `path` atomically: hidden temporary, fsync, rename, fsync directory.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(StorageError) {
        let dir = directory(of: path)
        let tmp = dir + "/." + baseName(of: path) + ".tmp"
        let fd = try open(tmp, O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try writeAll(fd, bytes, path: tmp)
            try fsync(fd, path: tmp)
        } catch {
            Glibc.close(fd)
            unlink(tmp)
            throw error
        }
        Glibc.close(fd)
        try rename(tmp, path)
        fsyncDirectory(dir)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Names in a directory (no "." or "..").
    static func list(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names = [String]()
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
