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
}

/// A worker's running totals, published at each mark.
struct WorkerCounters: Sendable {
    var flows = FlowCounters()
    var reassembly: StreamReassemblyCounters?
    /// Observations the worker's edge aggregator dropped at its bound.
    var edgesOverflow: UInt64 = 0
}

/// The queue of batches from one worker to the merger.
final class WorkerOutbox: Sendable {
    private let batches = Mutex<[WorkerBatch]>([])

    func send(_ batch: WorkerBatch) { batches.withLock { $0.append(batch) } }

    /// Every batch sent so far, oldest first.
    func takeAll() -> [WorkerBatch] { batches.withLock { b in defer { b.removeAll(keepingCapacity: true) }; return b } }
}
