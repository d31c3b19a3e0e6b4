import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The merger thread: feeds the service monitor, `service_seen` tracker and edge aggregator
/// (inside the ``RecordEmitter`` it owns) with the workers' observations, mark by mark: once every
/// worker has reached a mark, the observations made before it are merged in canonical order, by
/// (time, content), and applied; then packet time moves to the mark. Windows and intervals therefore close on the same inputs whatever the
/// number of workers, and their records are equal.
final class RecordMerger: @unchecked Sendable {
    // @unchecked: `emitter` is touched only by the merger thread once started (and by the owner
    // after `join()`); the published snapshot is behind a mutex.
    let emitter: RecordEmitter
    private let outboxes: [WorkerOutbox]
    private let thread = JoinableThread()
    private let published = Mutex(MergerSnapshot())
    /// Counters of the workers as of their last mark (merger thread).
    private var workerCounters: [WorkerCounters]

    init(emitter: RecordEmitter, outboxes: [WorkerOutbox]) {
        self.emitter = emitter
        self.outboxes = outboxes
        workerCounters = Array(repeating: WorkerCounters(), count: outboxes.count)
    }

    /// What the merger last published (any thread).
    var snapshot: MergerSnapshot { published.withLock { $0 } }

    /// Starts the thread (it keeps this object alive until it returns).
    func start() { thread.start { self.run() } }

    /// Waits for the thread to end (after the final mark).
    func join() { thread.join() }

    /// The last mark every worker reached (merger thread).
    private var lastMark: Mark?

    /// `agent_health`'s figures (merger thread: the emitter's `healthSource`).
    var health: AgentHealth {
        let total = WorkerCounters.sum(workerCounters)
        var h = AgentHealth()
        h.flowsActive = UInt64(max(0, total.flows.activeFlows))
        h.flowEvictions = total.flows.flowsEvicted
        h.anomalies = total.flows.anomalies.reduce(0, &+)
        h.reassembly = total.reassembly
        let shed = shedCounters(total)
        h.shed = shed
        h.packetsDroppedByAgent = shed.queueDrops
        if let c = lastMark?.capture {
            h.packetsReceived = c.packetsReceived
            h.packetsDropped = c.packetsDropped
            h.storeBytes = c.storeBytes
        }
        return h
    }

    private func shedCounters(_ total: WorkerCounters) -> AnalyticsShedCounters {
        var shed = AnalyticsShedCounters()
        shed.ringFull = lastMark?.shedRingFull ?? 0
        shed.tooLarge = lastMark?.shedTooLarge ?? 0
        shed.flowBudget = total.flows.untrackedPackets
        return shed
    }

    private func run() {
        let n = outboxes.count
        // Batches received and not yet applied, per worker, oldest first.
        var queued = Array(repeating: [WorkerBatch](), count: n)
        var backoff = Backoff()
        while true {
            for w in 0 ..< n where queued[w].isEmpty { queued[w] = outboxes[w].takeAll() }
            guard queued.allSatisfy({ !$0.isEmpty }) else {
                backoff.wait()
                continue
            }
            backoff.reset()
            // Every worker reached the same mark (marks reach every worker in the same order).
            var runs: [[ServiceObservation]] = []
            runs.reserveCapacity(n)
            var mark = queued[0][0].mark
            for w in 0 ..< n {
                let batch = queued[w].removeFirst()
                runs.append(batch.observations)
                workerCounters[w] = batch.counters
                if batch.transactionsSampledOut > 0 { emitter.noteSampledOut(batch.transactionsSampledOut) }
                mark = batch.mark
            }
            if let span = mark.shedSpan(since: lastMark) { emitter.noteIncomplete(from: span.from, to: span.to) }
            lastMark = mark
            emitter.workerEdgesOverflow = WorkerCounters.sum(workerCounters).edgesOverflow
            apply(runs, upTo: mark)
            publish()
            if mark.isFinal {
                emitter.finish()
                publish()
                return
            }
        }
    }

    /// Applies the observations made before `mark` (each worker's run is already in canonical
    /// order: they are merged, not sorted), then moves time to the mark.
    private func apply(_ runs: [[ServiceObservation]], upTo mark: Mark) {
        if runs.count == 1 {
            for o in runs[0] { emitter.observe(o) }
        } else {
            var heads = Array(repeating: 0, count: runs.count)
            while true {
                var best = -1
                for r in 0 ..< runs.count where heads[r] < runs[r].count {
                    if best < 0 || ServiceObservation.canonicalOrder(runs[r][heads[r]], runs[best][heads[best]]) { best = r }
                }
                if best < 0 { break }
                emitter.observe(runs[best][heads[best]])
                heads[best] += 1
            }
        }
        emitter.clock(mark.nanos)
    }

    private func publish() {
        let total = WorkerCounters.sum(workerCounters)
        let stats = emitter.stats
        let shed = shedCounters(total)
        published.withLock {
            $0.flows = total.flows
            $0.reassembly = total.reassembly
            $0.emitter = stats
            $0.shed = shed
            $0.workersBusyNanos = total.busyNanos
        }
    }
}

/// What the merger publishes for `status` (read from the capture thread).
struct MergerSnapshot: Sendable {
    var flows = FlowCounters()
    var reassembly: StreamReassemblyCounters?
    var emitter = RecordEmitter.Stats()
    var shed = AnalyticsShedCounters()
    /// The workers' busy time, added up.
    var workersBusyNanos: Int64 = 0
}
