import Synchronization
import SystemIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The slow half of ``NDJSONFileOutput``, on its own thread: `fsync` (periodic and before
/// publishing), close, publication, directory `fsync`, and deletion of the oldest files over the
/// size bound. An `fsync` can take seconds on a disk busy with the packet store, and gzip of a
/// 64 MiB file about a second of CPU; the analytics thread only does buffered `write(2)`s and
/// queues work here.
///
/// Publication, plain: rename `.records-N.ndjson.partial` → `records-N.ndjson`. Compressed: gzip
/// the (fsynced, closed) partial into `.records-N.ndjson.gz.partial`, fsync it, rename it to
/// `records-N.ndjson.gz`, fsync the directory, then delete the partial. Either way a visible name
/// only ever names a complete file, and at every instant the lines of index N are under exactly
/// one visible name (the partial is hidden), so readers never see a record twice. A crash at any
/// step leaves hidden leftovers that ``NDJSONFileOutput/init(directory:config:clock:)`` resolves.
///
/// Thread-safe: the job queue, the published list and the counters are behind one mutex; the
/// thread is woken by a POSIX semaphore.
final class RecordFileFinisher: @unchecked Sendable {
    // @unchecked: `wake` is a POSIX semaphore (thread-safe by definition, allocated once, freed
    // after the thread is joined); everything else mutable is inside `state`.

    enum Job: Sendable {
        /// Make what was written to `fd` durable.
        case sync(fd: Int32)
        /// Durable, closed and published under its visible name (compressed when the finisher
        /// compresses); `bytes` is its size.
        case publish(fd: Int32, index: UInt64, bytes: Int64)
        /// A published plain file found at start (a previous run without compression, or a
        /// recovered partial): compressed and replaced by its `.gz`.
        case compress(index: UInt64)

        var isPublish: Bool { if case .publish = self { true } else { false } }
    }

    /// A published file: its index, stored size and whether it is the `.gz`.
    struct Published: Sendable, Hashable {
        var index: UInt64
        var bytes: Int64
        var compressed: Bool
        var name: String { compressed ? NDJSONFileOutput.compressedName(index) : NDJSONFileOutput.publishedName(index) }
    }

    struct Counters: Sendable, Hashable {
        var filesPublished: UInt64 = 0
        var filesDeleted: UInt64 = 0
        var bytesDeleted: UInt64 = 0
        var errors: UInt64 = 0
        /// Files compressed, their sizes before and after, and the wall time spent in gzip (the
        /// finisher's throughput: it must keep up with the record production).
        var filesCompressed: UInt64 = 0
        var bytesBeforeCompression: UInt64 = 0
        var bytesAfterCompression: UInt64 = 0
        var compressionNanos: UInt64 = 0
        /// Compressions that failed (the file stays published uncompressed).
        var compressionErrors: UInt64 = 0
    }

    private struct State {
        var jobs: [Job] = []
        /// Jobs taken by the thread and not finished.
        var running = 0
        var stopping = false
        /// Published files, oldest first.
        var published: [Published] = []
        var counters = Counters()
    }

    let directory: String
    let maxTotalBytes: Int64
    /// gzip level of published files; nil publishes them uncompressed.
    let compressionLevel: Int32?
    private let state: Mutex<State>
    private let wake: UnsafeMutablePointer<sem_t>
    private var thread = pthread_t()

    init(directory: String, maxTotalBytes: Int64, compressionLevel: Int32?, published: [Published]) {
        self.directory = directory
        self.maxTotalBytes = maxTotalBytes
        self.compressionLevel = compressionLevel
        state = Mutex(State(published: published))
        wake = .allocate(capacity: 1)
        sem_init(wake, 0, 0)
        let me = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            let finisher = Unmanaged<RecordFileFinisher>.fromOpaque(raw!).takeRetainedValue()
            finisher.loop()
            return nil
        }, me)
        // Files of a previous run may already exceed the bound (a smaller bound now).
        if enforceBound() { FileSystem.fsyncDirectory(directory) }
        // Plain files left by a previous run are compressed here, on the thread, oldest first
        // (after the bound: no work on files about to be deleted).
        if compressionLevel != nil {
            for p in state.withLock({ $0.published }) where !p.compressed { submit(.compress(index: p.index)) }
        }
    }

    deinit {
        sem_destroy(wake)
        wake.deallocate()
    }

    func submit(_ job: Job) {
        state.withLock { $0.jobs.append(job) }
        sem_post(wake)
    }

    var counters: Counters { state.withLock { $0.counters } }
    var publishedIndexes: [UInt64] { state.withLock { $0.published.map(\.index) } }
    var publishedNames: [String] { state.withLock { $0.published.map(\.name) } }

    /// Blocks until every job submitted so far is done (tests, shutdown).
    func waitIdle() {
        while state.withLock({ !$0.jobs.isEmpty || $0.running > 0 }) { usleep(500) }
    }

    /// Finishes the queued jobs, then stops the thread and waits for it.
    func shutdown() {
        state.withLock { $0.stopping = true }
        sem_post(wake)
        pthread_join(thread, nil)
    }

    private func loop() {
        while true {
            while sem_wait(wake) != 0 && errno == EINTR {}
            let (jobs, stop): ([Job], Bool) = state.withLock { s in
                defer { s.jobs.removeAll() }
                s.running += s.jobs.count
                return (s.jobs, s.stopping)
            }
            for (i, job) in jobs.enumerated() {
                // Publications waiting behind this one (in this batch and queued since).
                let behind = jobs[(i + 1)...].reduce(0) { $0 + ($1.isPublish ? 1 : 0) }
                    + state.withLock { s in s.jobs.reduce(0) { $0 + ($1.isPublish ? 1 : 0) } }
                run(job, publicationsBehind: behind)
                state.withLock { $0.running -= 1 }
            }
            if stop && state.withLock({ $0.jobs.isEmpty }) { return }
        }
    }

    private func run(_ job: Job, publicationsBehind: Int) {
        switch job {
        case let .sync(fd):
            try? FileSystem.fsync(fd, path: directory)
        case let .publish(fd, index, bytes):
            let from = directory + "/" + NDJSONFileOutput.partialName(index)
            try? FileSystem.fsync(fd, path: from)
            FileSystem.close(fd)
            // Compressed straight from the hidden partial: the lines never sit under two visible
            // names. When gzip fails (disk full), the file is published plain rather than lost.
            // When other files wait to be published (records come faster than gzip, ~100 MB/s of
            // NDJSON a core), this one is published plain now and compressed after them: publication
            // (and the descriptors the waiting files hold) never queues behind compression.
            let deferred = compressionLevel != nil && publicationsBehind > 0
            var published: Published?
            if compressionLevel != nil, !deferred, let stored = compress(from, index: index, bytes: bytes) {
                published = Published(index: index, bytes: stored, compressed: true)
            } else if (try? FileSystem.rename(from, directory + "/" + NDJSONFileOutput.publishedName(index))) != nil {
                published = Published(index: index, bytes: bytes, compressed: false)
                if deferred { submit(.compress(index: index)) }
            }
            state.withLock { s in
                if let published {
                    s.published.append(published)
                    s.counters.filesPublished += 1
                } else {
                    s.counters.errors += 1
                }
            }
            _ = enforceBound()
            FileSystem.fsyncDirectory(directory)
        case let .compress(index):
            // Still published and still plain (the bound may have deleted it meanwhile)?
            guard let bytes = state.withLock({ s in s.published.first { $0.index == index && !$0.compressed }?.bytes }) else { return }
            let plain = directory + "/" + NDJSONFileOutput.publishedName(index)
            guard let stored = compress(plain, index: index, bytes: bytes) else { return }
            state.withLock { s in
                if let i = s.published.firstIndex(where: { $0.index == index }) { s.published[i] = Published(index: index, bytes: stored, compressed: true) }
            }
            _ = enforceBound()
            FileSystem.fsyncDirectory(directory)
        }
    }

    /// gzips `source` (a complete file of index `index`, `bytes` long) into
    /// `records-<index>.ndjson.gz` through a hidden temporary file, then deletes `source`; returns
    /// the compressed size, or nil (counted) when it failed, `source` untouched.
    private func compress(_ source: String, index: UInt64, bytes: Int64) -> Int64? {
        let temporary = directory + "/" + NDJSONFileOutput.compressingName(index)
        let started = Self.monotonicNanos()
        let stored: Int64
        do throws(RecordFileCompressionError) {
            stored = try RecordFileCompression.gzip(source, to: temporary, level: compressionLevel ?? 6)
        } catch {
            return compressionFailed(temporary)
        }
        do throws(SystemError) {
            try FileSystem.rename(temporary, directory + "/" + NDJSONFileOutput.compressedName(index))
        } catch {
            return compressionFailed(temporary)
        }
        // The `.gz` must be durable under its name before the only other copy goes.
        FileSystem.fsyncDirectory(directory)
        try? FileSystem.remove(source)
        let elapsed = Self.monotonicNanos() - started
        state.withLock { s in
            s.counters.filesCompressed += 1
            s.counters.bytesBeforeCompression += UInt64(max(0, bytes))
            s.counters.bytesAfterCompression += UInt64(max(0, stored))
            s.counters.compressionNanos += elapsed
        }
        return stored
    }

    /// Drops the temporary file and counts the failure; the plain file is kept (no loss).
    private func compressionFailed(_ temporary: String) -> Int64? {
        try? FileSystem.remove(temporary)
        state.withLock { $0.counters.compressionErrors += 1 }
        return nil
    }

    private static func monotonicNanos() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Deletes the oldest published files until the total of their stored sizes fits; whether any
    /// was deleted.
    private func enforceBound() -> Bool {
        var victims: [Published] = []
        state.withLock { s in
            var total = s.published.reduce(0) { $0 + $1.bytes }
            while total > maxTotalBytes, let oldest = s.published.first {
                s.published.removeFirst()
                total -= oldest.bytes
                victims.append(oldest)
                s.counters.filesDeleted += 1
                s.counters.bytesDeleted += UInt64(max(0, oldest.bytes))
            }
        }
        for v in victims { try? FileSystem.remove(directory + "/" + v.name) }
        return !victims.isEmpty
    }
}
