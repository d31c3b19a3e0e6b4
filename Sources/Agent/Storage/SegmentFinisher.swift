import Foundation
import Synchronization
import SystemIO
#if canImport(Glibc)
import Glibc
#endif

/// Publishes finished segments off the capture thread: `fsync` of a 256 MiB file can take seconds on a
/// slow disk, during which a live capture's kernel ring would overflow. The capture thread writes the
/// last buffer, hands the file descriptor over, and goes on with a new segment; this thread fsyncs,
/// makes the catalog journal durable (so the segment's `open` line is on disk before the segment
/// has its final name: the capture thread writes catalog lines without fsync), renames
/// `.N.pcap.partial` to `N.pcap` and fsyncs the directory. The store reaps the results on its
/// own thread and only then records the segment as complete in the catalog (so a crash before that
/// leaves a `writing` entry that recovery publishes).
final class SegmentFinisher: Sendable {
    struct Job: Sendable {
        var fd: Int32
        var partialPath: String
        var finalPath: String
        var info: SegmentInfo
        /// Runs once the file is published (true) or could not be (false): publishes or drops the
        /// segment's index.
        var afterPublish: (@Sendable (Bool) -> Void)?
    }

    struct Done: Sendable {
        var info: SegmentInfo
        var error: StorageError?
    }

    private struct State {
        var jobs: [Job] = []
        var done: [Done] = []
        var inFlight = 0
        var stopping = false
    }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let idle = DispatchSemaphore(value: 0)

    private let journal: JournalSync
    private let journalPath: String

    init(journal: JournalSync, journalPath: String) {
        self.journal = journal
        self.journalPath = journalPath
        let thread = Thread { [self] in loop() }
        thread.name = "vigie-finisher"
        thread.start()
    }

    /// Queues a segment whose data is fully written to `fd` (ownership of `fd` passes here).
    func submit(_ job: Job) {
        state.withLock { $0.jobs.append(job); $0.inFlight += 1 }
        wake.signal()
    }

    /// Results so far (each returned once).
    func reap() -> [Done] {
        state.withLock { s in
            defer { s.done.removeAll() }
            return s.done
        }
    }

    /// Number of segments submitted and not yet reaped.
    var pending: Int { state.withLock { $0.inFlight } }

    /// Waits until every submitted segment is published, then returns all results.
    func drain() -> [Done] {
        while state.withLock({ $0.inFlight - $0.done.count }) > 0 { idle.wait() }
        let results = reap()
        state.withLock { $0.inFlight -= results.count }
        return results
    }

    /// Marks results as consumed (after `reap()`).
    func acknowledge(_ count: Int) { state.withLock { $0.inFlight -= count } }

    /// Stops the thread once the queue is empty.
    func shutdown() {
        state.withLock { $0.stopping = true }
        wake.signal()
    }

    private func loop() {
        while true {
            wake.wait()
            while let job = state.withLock({ s -> Job? in s.jobs.isEmpty ? nil : s.jobs.removeFirst() }) {
                let error = publish(job)
                job.afterPublish?(error == nil)
                let result = Done(info: job.info, error: error)
                state.withLock { $0.done.append(result) }
                idle.signal()
            }
            if state.withLock({ $0.stopping && $0.jobs.isEmpty }) { return }
        }
    }

    private func publish(_ job: Job) -> StorageError? {
        defer { close(job.fd) }
        do throws(StorageError) {
            try StorageError.io { () throws(SystemError) in try FileSystem.fsync(job.fd, path: job.partialPath) }
            if let error = journal.sync(path: journalPath) { throw error }
            try StorageError.io { () throws(SystemError) in try FileSystem.rename(job.partialPath, job.finalPath) }
            FileSystem.fsyncDirectory(FileSystem.directory(of: job.finalPath))
            return nil
        } catch {
            return error
        }
    }
}
