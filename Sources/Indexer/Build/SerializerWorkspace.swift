/// The buffers ``IndexSerializer`` sorts and lays out an index in, kept by each builder from one
/// segment to the next: serialising then writes into memory that is already mapped. Fresh buffers
/// per segment cost a page fault per 4 KiB (measured: 60 % of the indexed ingest's page faults,
/// ~15,000 per GiB stored), and page faults are what a busy 2-core machine pays most for.
///
/// Not thread-safe: one serializer at a time (the builder's thread, or the thread holding a
/// ``SealedSegmentIndex``'s lock).
final class SerializerWorkspace {
    /// The row fields' pairs, gathered from the rows in one pass, in ordinal order.
    let network = Key16Stream(), ipProtocol = Key16Stream(), srcPort = Key16Stream(), dstPort = Key16Stream()
    /// Packed `address << 32 | ordinal` values, and the radix sort's other buffer.
    let src4 = ScratchBuffer<UInt64>(), dst4 = ScratchBuffer<UInt64>()
    let packedOther = ScratchBuffer<UInt64>()
    /// The counting sort's output (ordinals grouped by key) and its 65,536 counters.
    let grouped = ScratchBuffer<UInt32>()
    let counts = ScratchBuffer<UInt32>()
    /// One section's keys, entries and posting lists, appended to `image` when complete.
    let keys = ByteWriter()
    let entries = ByteWriter()
    let postings = ByteWriter()
    /// The index image; the final one stays here until the sealed index is written.
    let image = ByteWriter()
}

/// One 16-bit field's keys and ordinals (parallel arrays) and how many are filled.
final class Key16Stream {
    let keys = ScratchBuffer<UInt16>()
    let ordinals = ScratchBuffer<UInt32>()
    var count = 0
}

/// An uninitialised buffer of plain values that grows (without keeping its contents) and never
/// shrinks. Reserving more than is touched costs only address space.
final class ScratchBuffer<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>?
    private var capacity = 0

    init() {}

    deinit { base?.deallocate() }

    /// Room for `count` elements (contents unspecified), valid until the next call.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if let base, count <= capacity { return base }
        base?.deallocate()
        // Grow by half again at least, so a slowly growing segment does not reallocate every time.
        capacity = max(count, capacity + capacity / 2, 1024)
        let fresh = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        base = fresh
        return fresh
    }
}
