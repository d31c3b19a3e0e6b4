/// The buffers ``IndexSerializer`` sorts and lays out an index in, kept by each builder from one
/// segment to the next: serialising then writes into memory that is already mapped. Fresh buffers
/// per segment cost a page fault per 4 KiB (measured: 60 % of the indexed ingest's page faults,
/// ~15,000 per GiB stored), and page faults are what a busy 2-core machine pays most for.
///
/// Not thread-safe: one serializer at a time (the builder's thread, or the thread holding a
/// ``SealedSegmentIndex``'s lock).
final class SerializerWorkspace {
    /// Packed `address << 32 | ordinal` values of one IPv4 field, and the radix sort's other buffer.
    let packed: ScratchBuffer<UInt64>
    let packedOther: ScratchBuffer<UInt64>
    /// The radix sorts' 65,536 counters.
    let radixCounts = ScratchBuffer<Int>()
    /// The counting sort's output (ordinals grouped by key) and its 65,536 counters.
    let grouped: ScratchBuffer<UInt32>
    let counts = ScratchBuffer<UInt32>()
    /// Copies of the wider pair fields (IPv6 addresses; MACs and flows with their radix sort's
    /// other buffer), sorted in place.
    let pairs128 = ScratchBuffer<Pair128>()
    let pairs64 = ScratchBuffer<Pair64>()
    let pairs64Other = ScratchBuffer<Pair64>()
    /// One section's keys, entries and posting lists, appended to `image` when complete.
    let keys = ByteWriter()
    let entries = ByteWriter()
    let postings = ByteWriter()
    /// The index image; the final one stays here until the sealed index is written.
    let image = ByteWriter()

    /// - Parameter expectedPackets: the most packets a segment may hold. The per-packet buffers are
    ///   first allocated that large: untouched pages cost only address space, and a buffer that
    ///   regrew for a segment a few packets longer than the last would touch all-fresh pages again.
    init(expectedPackets: Int) {
        packed = ScratchBuffer(minimumCapacity: expectedPackets)
        packedOther = ScratchBuffer(minimumCapacity: expectedPackets)
        grouped = ScratchBuffer(minimumCapacity: expectedPackets)
    }
}

/// An uninitialised buffer of plain values that grows (without keeping its contents) and never
/// shrinks. Reserving more than is touched costs only address space.
final class ScratchBuffer<Element: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<Element>?
    private var capacity = 0
    /// The size of the first allocation at least.
    private let minimumCapacity: Int

    init(minimumCapacity: Int = 1024) { self.minimumCapacity = minimumCapacity }

    deinit { base?.deallocate() }

    /// Room for `count` elements (contents unspecified), valid until the next call.
    func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
        if let base, count <= capacity { return base }
        base?.deallocate()
        // Grow by half again at least, so a slowly growing segment does not reallocate every time.
        capacity = max(count, capacity + capacity / 2, minimumCapacity)
        let fresh = UnsafeMutablePointer<Element>.allocate(capacity: capacity)
        base = fresh
        return fresh
    }
}
