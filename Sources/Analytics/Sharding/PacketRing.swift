import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A bounded single-producer / single-consumer ring of variable-size entries: how the capture
/// thread hands packets to an analytics worker without a lock or an allocation per packet.
///
/// Positions are byte counts that only grow (`written`, `consumed`); each side publishes its own
/// with a release store and reads the other's with an acquire load (cached, so most calls touch
/// no shared cache line). Entries are 8-byte aligned: a header (`UInt32` size, `UInt32` tag) and
/// the payload. An entry that does not fit before the end of the buffer leaves a wrap marker and
/// starts again at the beginning, so every payload is contiguous.
final class PacketRing: @unchecked Sendable {
    // @unchecked: the producer-side and consumer-side fields are each touched by one thread only;
    // the two shared positions are atomics.
    static let headerBytes = 8
    private static let wrapTag: UInt32 = .max

    let capacity: Int
    private let buffer: UnsafeMutableRawPointer
    private let written = Atomic<Int>(0)
    private let consumed = Atomic<Int>(0)
    // Producer side.
    private var writePosition = 0
    private var knownConsumed = 0
    private var pendingSize = 0
    // Consumer side.
    private var readPosition = 0
    private var knownWritten = 0
    private var currentSize = 0

    /// `bytes` is rounded up to a power of two (at least 64 KiB).
    init(bytes: Int) {
        var c = 1 << 16
        while c < bytes && c < (1 << 40) { c <<= 1 }
        capacity = c
        buffer = .allocate(byteCount: c, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// The largest payload an entry can carry.
    var maxPayload: Int { capacity / 2 - Self.headerBytes }

    // MARK: producer

    /// Room for a payload of `length` bytes, or nil when the ring is full (nothing is reserved).
    /// Publish it with ``commit()``.
    func reserve(_ length: Int, tag: UInt32) -> UnsafeMutableRawPointer? {
        guard length >= 0, length <= maxPayload else { return nil }
        let size = (Self.headerBytes + length + 7) & ~7
        var offset = writePosition & (capacity - 1)
        let skip = offset + size > capacity ? capacity - offset : 0
        if writePosition + skip + size - knownConsumed > capacity {
            knownConsumed = consumed.load(ordering: .acquiring)
            if writePosition + skip + size - knownConsumed > capacity { return nil }
        }
        if skip > 0 {
            buffer.storeBytes(of: UInt32(skip), toByteOffset: offset, as: UInt32.self)
            buffer.storeBytes(of: Self.wrapTag, toByteOffset: offset + 4, as: UInt32.self)
            writePosition += skip
            offset = 0
        }
        buffer.storeBytes(of: UInt32(size), toByteOffset: offset, as: UInt32.self)
        buffer.storeBytes(of: tag, toByteOffset: offset + 4, as: UInt32.self)
        pendingSize = size
        return buffer + offset + Self.headerBytes
    }

    /// Publishes the entry last reserved.
    func commit() {
        writePosition += pendingSize
        pendingSize = 0
        written.store(writePosition, ordering: .releasing)
    }


    // MARK: consumer

    /// The oldest entry (tag and payload), or nil when the ring is empty. Free it with
    /// ``release()`` before asking for the next one.
    func peek() -> (tag: UInt32, payload: UnsafeMutableRawPointer)? {
        while true {
            if readPosition == knownWritten {
                knownWritten = written.load(ordering: .acquiring)
                if readPosition == knownWritten { return nil }
            }
            let offset = readPosition & (capacity - 1)
            let size = Int(buffer.load(fromByteOffset: offset, as: UInt32.self))
            let tag = buffer.load(fromByteOffset: offset + 4, as: UInt32.self)
            if tag == Self.wrapTag {
                readPosition += size
                continue
            }
            currentSize = size
            return (tag, buffer + offset + Self.headerBytes)
        }
    }

    /// Frees the entry returned by the last ``peek()``.
    func release() {
        readPosition += currentSize
        currentSize = 0
        consumed.store(readPosition, ordering: .releasing)
    }
}

/// How a thread waits for its ring or queue without a syscall per item: it yields a little (the
/// other side is usually about to deliver), then naps 50 µs, then, after about 50 ms with nothing
/// to do, 1 ms (an idle agent wakes each thread 1,000 times a second, no more). A nap costs at
/// most its length in latency, and only when there was nothing to do.
struct Backoff {
    private var idleRounds = 0

    mutating func reset() { idleRounds = 0 }

    mutating func wait() {
        idleRounds += 1
        if idleRounds < 64 {
            sched_yield()
        } else {
            usleep(idleRounds < 1000 ? 50 : 1000)
        }
    }
}
