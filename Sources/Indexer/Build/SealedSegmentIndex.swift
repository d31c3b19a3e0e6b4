import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// The collected data of a finished segment, detached from its builder by
/// ``SegmentIndexBuilder/sealed(nextLinkType:nanosecond:)``: sorting, serialising and writing it
/// (the costly part, ~100-200 ns per packet) can run on another thread while ingest goes on.
public final class SealedSegmentIndex: @unchecked Sendable {
    // @unchecked: `builder` is reachable only through this object (sealed() hands over a private
    // instance) until `write` gives it back to the spare slot; `lock` serialises the calls that use it.
    private let builder: SegmentIndexBuilder
    private let spare: SpareBuilder
    private var recycled = false
    /// The hidden file ``stage(to:)`` wrote and the path it is published at.
    private var staged: (String, String)?
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init(_ builder: SegmentIndexBuilder, returningTo spare: SpareBuilder) {
        self.builder = builder
        self.spare = spare
        packetCount = builder.packetCount
        coveredBytes = builder.coveredBytes
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// Packets in the sealed segment.
    public let packetCount: Int
    /// End of the last record indexed.
    public let coveredBytes: UInt64

    /// Sorts and serialises the index in memory (the costly part) so a later ``write(to:)`` only
    /// writes the file. Lets the sort run while the segment's pcap file is still being fsynced.
    public func prepare() {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if !recycled { builder.prepareImage() }
    }

    /// Bytes of the image ``prepare()`` built (0 before it, or when the index is inconsistent).
    public var preparedByteCount: Int {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return recycled ? 0 : builder.preparedByteCount
    }

    /// Gives the buffers back to the builder that sealed it without writing anything (the segment
    /// was dropped, or a benchmark only measures the build). Later calls do nothing.
    public func discard() {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard !recycled else { return }
        recycle()
    }

    /// Sorts, serialises and publishes the index at `path` (see ``SegmentIndexBuilder/write(to:)``),
    /// then returns the buffers to the builder that sealed it. Call it once.
    public func write(to path: String) throws(IndexError) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard !recycled else { throw IndexError(.badSegment, path: path, detail: "sealed index already written") }
        defer { recycle() }
        try builder.write(to: path)
    }

    /// ``write(to:)`` in two steps, so the slow part can overlap the segment's own fsync while the
    /// index still becomes visible only after its segment: this sorts, serialises and writes the
    /// index to a hidden file beside `path`, fsynced, and returns the buffers at once;
    /// ``publishStaged()`` later renames it into place (or ``discardStaged()`` removes it).
    public func stage(to path: String) throws(IndexError) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard !recycled else { throw IndexError(.badSegment, path: path, detail: "sealed index already written") }
        defer { recycle() }
        staged = (try builder.stage(to: path), path)
    }

    /// Publishes the file ``stage(to:)`` wrote (rename, directory fsync); nothing if none was.
    public func publishStaged() throws(IndexError) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard let (tmp, path) = staged else { return }
        staged = nil
        try IndexError.io { () throws(SystemError) in try AtomicFile.publish(tmp, to: path) }
        // We just wrote these bytes: no need to checksum them again when a query opens the file.
        if let id = FileIdentity.of(path: path) { VerifiedIndexFiles.shared.insert(id) }
    }

    /// Removes the file ``stage(to:)`` wrote (its segment was not published).
    public func discardStaged() {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if let (tmp, _) = staged { unlink(tmp) }
        staged = nil
    }

    /// Gives the buffers back to the builder that sealed this index (lock held).
    private func recycle() {
        recycled = true
        builder.reset(linkType: builder.linkType)
        spare.put(builder)
    }
}

/// A one-slot, thread-safe hand-back of a written builder's storage (see `sealed()`).
final class SpareBuilder: @unchecked Sendable {
    // @unchecked: `slot` is only touched under `lock`.
    private var slot: SegmentIndexBuilder?
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() { pthread_mutex_init(lock, nil) }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    func take() -> SegmentIndexBuilder? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        let builder = slot
        slot = nil
        return builder
    }

    var isFilled: Bool {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return slot != nil
    }

    /// The builder in the slot, left there.
    func peek() -> SegmentIndexBuilder? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return slot
    }

    func put(_ builder: SegmentIndexBuilder) {
        pthread_mutex_lock(lock)
        slot = builder
        pthread_mutex_unlock(lock)
    }
}
