import Synchronization
import SystemIO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The slow half of ``NDJSONFileOutput``, on its own thread: `fsync` (periodic and before
/// publishing), close, rename `.records-N.ndjson.partial` → `records-N.ndjson`, directory `fsync`,
/// and deletion of the oldest files over the size bound. An `fsync` can take seconds on a disk
/// busy with the packet store; the analytics thread only does buffered `write(2)`s and queues
/// work here.
///
/// Thread-safe: the job queue, the published list and the counters are behind one mutex; the
/// thread is woken by a POSIX semaphore.
final class RecordFileFinisher: @unchecked Sendable {
    // @unchecked: `wake` is a POSIX semaphore (thread-safe by definition, allocated once, freed
    // after the thread is joined); everything else mutable is inside `state`.

    enum Job: Sendable {
        /// Make what was written to `fd` durable.
        case sync(fd: Int32)
        /// Durable, closed and published under its visible name; `bytes` is its size.
        case publish(fd: Int32, index: UInt64, bytes: Int64)
    }

    struct Counters: Sendable, Hashable {
        var filesPublished: UInt64 = 0
        var filesDeleted: UInt64 = 0
        var bytesDeleted: UInt64 = 0
        var errors: UInt64 = 0
    }

    private struct State {
        var jobs: [Job] = []
        /// Jobs taken by the thread and not finished.
        var running = 0
        var stopping = false
        /// Published files, oldest first.
        var published: [(index: UInt64, bytes: Int64)] = []
        var counters = Counters()
    }

    let directory: String
    let maxTotalBytes: Int64
    private let state: Mutex<State>
    private let wake: UnsafeMutablePointer<sem_t>
    private var thread = pthread_t()

    init(directory: String, maxTotalBytes: Int64, published: [(index: UInt64, bytes: Int64)]) {
        self.directory = directory
        self.maxTotalBytes = maxTotalBytes
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
            for job in jobs {
                run(job)
                state.withLock { $0.running -= 1 }
            }
            if stop && state.withLock({ $0.jobs.isEmpty }) { return }
        }
    }

    private func run(_ job: Job) {
        switch job {
        case let .sync(fd):
            try? FileSystem.fsync(fd, path: directory)
        case let .publish(fd, index, bytes):
            let from = directory + "/" + NDJSONFileOutput.partialName(index)
            try? FileSystem.fsync(fd, path: from)
            FileSystem.close(fd)
            let ok = (try? FileSystem.rename(from, directory + "/" + NDJSONFileOutput.publishedName(index))) != nil
            state.withLock { s in
                if ok {
                    s.published.append((index: index, bytes: bytes))
                    s.counters.filesPublished += 1
                } else {
                    s.counters.errors += 1
                }
            }
            _ = enforceBound()
            FileSystem.fsyncDirectory(directory)
        }
    }

    /// Deletes the oldest published files until the total fits; whether any was deleted.
    private func enforceBound() -> Bool {
        var victims: [(index: UInt64, bytes: Int64)] = []
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
        for v in victims { try? FileSystem.remove(directory + "/" + NDJSONFileOutput.publishedName(v.index)) }
        return !victims.isEmpty
    }
}
