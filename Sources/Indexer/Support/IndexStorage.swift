#if canImport(Glibc)
import Glibc
#endif

/// The immutable bytes of one index: a read-only memory map of an index file, or a heap copy for
/// in-memory indexes (snapshots of the open segment, indexes built while scanning).
///
/// Unmapped or freed in `deinit`; nothing mutates the bytes after `init`, which is what makes
/// sharing an index between threads safe.
final class IndexStorage: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    private let mapped: Bool
    /// The mapped file's identity (nil for heap copies).
    let identity: FileIdentity?

    /// Maps `path` read-only. An index is never rewritten in place (always replaced by rename), so
    /// the mapping cannot change under the reader; retention unlinking it keeps the mapping valid.
    init(path: String) throws(IndexError) {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw IndexError.system(errno, path: path, doing: "open") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IndexError.system(errno, path: path, doing: "fstat") }
        let length = Int(st.st_size)
        guard length > 0 else { throw IndexError(.truncated, path: path, detail: "empty file") }
        let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw IndexError.system(errno, path: path, doing: "mmap") }
        bytes = UnsafeRawBufferPointer(start: p, count: length)
        mapped = true
        identity = FileIdentity(st)
    }

    /// Copies `image` to the heap.
    init(copying image: [UInt8]) {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(image.count, 1), alignment: 16)
        image.withUnsafeBytes { src in
            if let base = src.baseAddress { p.baseAddress!.copyMemory(from: base, byteCount: src.count) }
        }
        bytes = UnsafeRawBufferPointer(start: p.baseAddress, count: image.count)
        mapped = false
        identity = nil
    }

    deinit {
        if mapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate()
        }
    }
}
