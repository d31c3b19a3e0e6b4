import Records
import Synchronization

/// What a worker hands the merger at each mark: the observations it made since the previous
/// mark, sorted in canonical order (the merger only merges the workers' runs), what it left out
/// of the transaction sample, and its counters. One lock per mark, none per packet. (The worker
/// writes its `conn` and `txn` records itself, through the shared ``SequencedRecordWriter``.)
struct WorkerBatch: Sendable {
    var observations: [ServiceObservation] = []
    var transactionsSampledOut: UInt64 = 0
    var mark: Mark
    var counters: WorkerCounters
}

/// A point in the packet stream the dispatcher sends to every worker: packet time is `nanos`
/// there. The merger applies the observations made before it, in a canonical order, only once
/// every worker reached it, so the result does not depend on how packets were spread.
struct Mark: Sendable, Hashable {
    var nanos: Int64
    /// The last mark: the workers finished.
    var isFinal = false
    /// Packets the capture thread shed from analytics so far (ring full, too large).
    var shedRingFull: UInt64 = 0
    var shedTooLarge: UInt64 = 0
    /// The capture side's counters when the mark was sent.
    var capture = CaptureFigures()

    /// The packet-time span since `previous` in which packets were shed from analytics, if any:
    /// the windows and intervals overlapping it are incomplete (merger and workers alike).
    func shedSpan(since previous: Mark?) -> (from: Int64, to: Int64)? {
        let before = (previous?.shedRingFull ?? 0) &+ (previous?.shedTooLarge ?? 0)
        guard shedRingFull &+ shedTooLarge > before else { return nil }
        return (previous?.nanos ?? .min, nanos)
    }
}

/// A worker's running totals, published at each mark.
struct WorkerCounters: Sendable {
    var flows = FlowCounters()
    var reassembly: StreamReassemblyCounters?
    /// Observations the worker's edge aggregator dropped at its bound.
    var edgesOverflow: UInt64 = 0
    /// Time the worker spent working (not waiting for packets) since it started.
    var busyNanos: Int64 = 0
}

/// The queue of batches from one worker to the merger.
final class WorkerOutbox: Sendable {
    private struct Queue {
        var batches: [WorkerBatch] = []
        var observations = 0
    }
    private let queue = Mutex(Queue())

    /// What a worker may have waiting: past this it waits for the merger (and its ring, then the
    /// capture thread's shedding, takes the strain), so a slow merger cannot make the queue grow
    /// without bound. 64 marks are 6.4 s of packet time; 262,144 observations about 32 MiB.
    static let maxBatches = 64
    static let maxObservations = 1 << 18

    func send(_ batch: WorkerBatch) {
        var backoff = Backoff()
        while queue.withLock({ !$0.batches.isEmpty && ($0.batches.count >= Self.maxBatches || $0.observations >= Self.maxObservations) }) {
            backoff.wait()
        }
        queue.withLock {
            $0.batches.append(batch)
            $0.observations += batch.observations.count
        }
    }

    /// Every batch sent so far, oldest first.
    func takeAll() -> [WorkerBatch] {
        queue.withLock { q in
            defer {
                q.batches.removeAll(keepingCapacity: true)
                q.observations = 0
            }
            return q.batches
        }
    }
}
