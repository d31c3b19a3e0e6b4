#if canImport(Glibc)
import Glibc
#endif

/// The few POSIX file operations the indexer needs, retrying on EINTR and reporting errno.
enum FileOps {
    static func openRead(_ path: String) throws(IndexError) -> Int32 {
        while true {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return fd }
            if errno != EINTR { throw IndexError.system(errno, path: path, doing: "open") }
        }
    }

    /// Reads up to `count` bytes at `offset`; returns how many were read (short only at end of file).
    static func pread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, at offset: UInt64) -> Int {
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

    static func writeAll(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int, path: String) throws(IndexError) {
        var done = 0
        while done < count {
            let n = write(fd, base + done, count - done)
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw IndexError.system(n == 0 ? EIO : errno, path: path, doing: "write")
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Publishes `bytes` at `path` atomically and durably: hidden `.NAME.tmp` beside it, fsync,
    /// rename, fsync of the directory. A crash leaves either the old file, no file, or the new one,
    /// plus possibly a stale `.tmp` that the next write truncates.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(IndexError) {
        let failure = bytes.withUnsafeBytes { (raw) -> IndexError? in
            do throws(IndexError) { try writeAtomically(raw, to: path) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// ``writeAtomically(_:to:)`` from bytes in place.
    static func writeAtomically(_ bytes: UnsafeRawBufferPointer, to path: String) throws(IndexError) {
        try publish(stage(bytes, for: path), to: path)
    }

    /// The first half of ``writeAtomically(_:to:)``: writes `bytes` to the hidden `.NAME.tmp`
    /// beside `path` and fsyncs it; returns the hidden path. Nothing is visible under `path` yet.
    static func stage(_ bytes: UnsafeRawBufferPointer, for path: String) throws(IndexError) -> String {
        let dir = directory(of: path)
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw IndexError.system(errno, path: dir, doing: "mkdir")
        }
        let tmp = dir + "/." + baseName(of: path) + ".tmp"
        var fd: Int32
        repeat { fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw IndexError.system(errno, path: tmp, doing: "open") }
        do throws(IndexError) {
            if let base = bytes.baseAddress { try writeAll(fd, base, bytes.count, path: tmp) }
            if fsync(fd) != 0 { throw IndexError.system(errno, path: tmp, doing: "fsync") }
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        return tmp
    }

    /// The second half: renames the staged file to `path` and fsyncs the directory.
    static func publish(_ staged: String, to path: String) throws(IndexError) {
        if rename(staged, path) != 0 {
            let err = errno
            unlink(staged)
            throw IndexError.system(err, path: path, doing: "rename")
        }
        let dfd = open(directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}
