#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory map of a whole file, unmapped in `deinit`.
public final class MappedFile {
    public let path: String
    public let bytes: UnsafeRawBufferPointer
    /// The file's `fstat` when it was mapped (identity, size, times).
    public let status: stat
    private let base: UnsafeMutableRawPointer?
    private let length: Int

    public init(path: String) throws(SystemError) {
        self.path = path
        let fd = try FileSystem.open(path, O_RDONLY)
        defer { FileSystem.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .last("fstat", path: path) }
        status = st
        length = Int(st.st_size)
        if length == 0 {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw .last("mmap", path: path) }
        base = p
        bytes = UnsafeRawBufferPointer(start: p, count: length)
    }

    deinit { if let base { munmap(base, length) } }
}
