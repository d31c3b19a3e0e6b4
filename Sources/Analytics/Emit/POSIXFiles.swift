#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX calls the NDJSON output needs, retrying on EINTR. Errors are `errno` values.
enum POSIXFiles {
    static func makeDirectory(_ path: String) -> Int32 {
        mkdir(path, 0o755) == 0 || errno == EEXIST ? 0 : errno
    }

    /// Opens (creating or appending) a file for writing; returns the fd or `-errno`.
    static func openAppend(_ path: String) -> Int32 {
        while true {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 { return fd }
            if errno != EINTR { return -errno }
        }
    }

    /// Writes everything; returns how many bytes were written and 0 or the errno that stopped it.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> (written: Int, error: Int32) {
        guard let base = bytes.baseAddress else { return (0, 0) }
        var done = 0
        while done < bytes.count {
            let n = write(fd, base + done, bytes.count - done)
            if n > 0 { done += n; continue }
            if n < 0 && errno == EINTR { continue }
            return (done, n == 0 ? EIO : errno)
        }
        return (done, 0)
    }

    static func sync(_ fd: Int32) { _ = fsync(fd) }

    static func closeFile(_ fd: Int32) { _ = close(fd) }

    /// fsync of a directory, so renames and unlinks in it are durable.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// Size in bytes, or -1 when the file does not exist.
    static func size(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : -1
    }

    /// Names in a directory (without `.` and `..`).
    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Cuts a file after its last newline (a crash can leave half a record at the end); returns
    /// the new size.
    static func truncateToLastNewline(_ path: String) -> Int64 {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return -1 }
        defer { close(fd) }
        var end = Int64(lseek(fd, 0, SEEK_END))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while end > 0 {
            let chunk = Int(min(end, 4096))
            let start = end - Int64(chunk)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, chunk, off_t(start)) }
            guard n == chunk else { return -1 }
            if let i = buffer[0..<chunk].lastIndex(of: 0x0A) {
                let keep = start + Int64(i) + 1
                _ = ftruncate(fd, off_t(keep))
                _ = fsync(fd)
                return keep
            }
            end = start
        }
        _ = ftruncate(fd, 0)
        return 0
    }
}
