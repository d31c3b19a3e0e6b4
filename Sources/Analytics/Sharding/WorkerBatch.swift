import Records
import Synchronization

/// What a worker hands the merger, in order: encoded record tails (`conn`, `txn`), service
/// observations, and at a mark the worker's counters. Batches, not items, cross threads: one lock
/// per batch, none per packet.
struct WorkerBatch: Sendable {
    struct Record: Sendable {
        var kind: RecordKind
        var key: String
        var end: Int
    }

    /// Record tails back to back (``RecordEncoder/beginTail(ts:agentTs:)``); record `i` ends at
    /// `records[i].end`.
    var bytes: [UInt8] = []
    var records: [Record] = []
    var observations: [ServiceObservation] = []
    var transactionsSampledOut: UInt64 = 0
    /// Set on the batch that closes a mark: everything the worker did up to the mark is in this
    /// batch or the ones before it.
    var mark: Mark?
    /// The worker's counters as of the mark.
    var counters: WorkerCounters?

    var isEmpty: Bool { records.isEmpty && observations.isEmpty && transactionsSampledOut == 0 && mark == nil }
    var itemCount: Int { records.count + observations.count }
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
}

/// A worker's running totals, published at each mark.
struct WorkerCounters: Sendable {
    var flows = FlowCounters()
    var reassembly: StreamReassemblyCounters?
}

/// The queue of batches from one worker to the merger.
final class WorkerOutbox: Sendable {
    private let batches = Mutex<[WorkerBatch]>([])

    func send(_ batch: WorkerBatch) { batches.withLock { $0.append(batch) } }

    /// Every batch sent so far, oldest first.
    func takeAll() -> [WorkerBatch] { batches.withLock { b in defer { b.removeAll(keepingCapacity: true) }; return b } }
}
