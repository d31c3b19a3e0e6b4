#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A generator failure, printed as-is by the command.
struct GeneratorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Buffered output: records are built in place in one large reusable buffer, which is handed
/// to `write(2)` whenever it fills. No allocation happens per packet.
final class CaptureWriter {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let capacity: Int
    private let buffer: UnsafeMutableRawPointer
    private var used = 0
    /// Bytes already handed to the kernel.
    private var flushed: UInt64 = 0

    /// Total bytes produced so far (written or still buffered).
    var totalBytes: UInt64 { flushed + UInt64(used) }

    /// Opens `path` for writing (truncating it); `-` means standard output.
    init(path: String, capacity: Int = 4 << 20) throws {
        if path == "-" {
            fd = 1
            ownsDescriptor = false
        } else {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw GeneratorError("cannot open \(path): \(String(cString: strerror(errno)))") }
            ownsDescriptor = true
        }
        self.capacity = capacity
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit {
        buffer.deallocate()
        if ownsDescriptor { _ = close(fd) }
    }

    /// Returns a pointer to at least `count` writable bytes at the end of the buffer,
    /// flushing first if needed. Call `commit` with the bytes actually used.
    @inline(__always)
    func reserve(_ count: Int) throws -> UnsafeMutableRawPointer {
        if capacity - used < count { try flush() }
        return buffer + used
    }

    /// Marks `count` reserved bytes as written.
    @inline(__always)
    func commit(_ count: Int) { used += count }

    /// Appends raw bytes (used for the file header).
    func append(_ bytes: [UInt8]) throws {
        let p = try reserve(bytes.count)
        bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        commit(bytes.count)
    }

    /// Hands the buffered bytes to the kernel.
    func flush() throws {
        var offset = 0
        while offset < used {
            let n = write(fd, buffer + offset, used - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw GeneratorError("write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        flushed += UInt64(used)
        used = 0
    }
}
