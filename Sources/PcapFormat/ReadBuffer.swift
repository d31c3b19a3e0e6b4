#if canImport(Glibc)
import Glibc
#endif

/// A sliding window over a file read with `read(2)` in large chunks. Records are parsed in
/// place; a pointer into the window stays valid until the next `ensure`/`consume` call.
final class ReadBuffer {
    private(set) var storage: UnsafeMutableRawPointer
    private(set) var capacity: Int
    /// Window [start, end) of valid bytes in `storage`.
    private(set) var start = 0
    private(set) var end = 0
    /// File offset of `storage[start]`.
    private(set) var fileOffset = 0
    private var eof = false
    let fd: Int32

    init(fd: Int32, capacity: Int = 4 << 20) {
        self.fd = fd
        self.capacity = capacity
        self.storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    var available: Int { end - start }
    var pointer: UnsafeRawPointer { UnsafeRawPointer(storage + start) }

    /// Makes at least `n` bytes available; returns false if the file ends first (then
    /// `available` tells how many there are). Throws the errno of a failed read.
    @inline(__always)
    func ensure(_ n: Int) throws(ReadError) -> Bool {
        if end - start >= n { return true }
        return try fill(n)
    }

    private func fill(_ n: Int) throws(ReadError) -> Bool {
        if start > 0 {
            (storage).copyMemory(from: storage + start, byteCount: end - start)
            end -= start
            start = 0
        }
        while end - start < n && !eof {
            // Grow only once the window is full of bytes really read: `n` comes from a length
            // field (up to 4 GiB for a pcap record under a hostile snaplen), so it must not size
            // the allocation by itself. Capacity stays within twice the bytes the file holds.
            if end == capacity {
                let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
                grown.copyMemory(from: storage, byteCount: end)
                storage.deallocate()
                storage = grown
                capacity *= 2
            }
            let got = read(fd, storage + end, capacity - end)
            if got > 0 { end += got; continue }
            if got == 0 { eof = true; break }
            if errno != EINTR { throw ReadError(code: errno) }
        }
        return end - start >= n
    }

    @inline(__always)
    func consume(_ n: Int) {
        start += n
        fileOffset += n
    }
}

/// A failed `read(2)`, with its errno.
struct ReadError: Error {
    let code: Int32
    var message: String { String(cString: strerror(code)) }
}
