import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The merger thread: numbers and writes the workers' record tails, and feeds the service
/// monitor, `service_seen` tracker and edge aggregator (inside the ``RecordEmitter`` it owns) with
/// the workers' observations. Those are applied mark by mark: once every worker has reached a
/// mark, the observations made before it are sorted by (time, content) and applied, then packet
/// time moves to the mark. Windows and intervals therefore close on the same inputs whatever the
/// number of workers, and their records are equal.
final class RecordMerger: @unchecked Sendable {
    // @unchecked: `emitter` is touched only by the merger thread once started (and by the owner
    // after `join()`); the published snapshot is behind a mutex.
    let emitter: RecordEmitter
    private let outboxes: [WorkerOutbox]
    private var thread = pthread_t()
    private var started = false
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

    func start() {
        let me = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let merger = Unmanaged<RecordMerger>.fromOpaque(raw).takeRetainedValue()
            merger.run()
            return nil
        }, me)
        started = true
    }

    func join() {
        guard started else { return }
        pthread_join(thread, nil)
        started = false
    }

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
        // Batches received and not yet consumed (a worker's batches after its mark wait here).
        var queued = Array(repeating: [WorkerBatch](), count: n)
        var position = Array(repeating: 0, count: n)
        var reached: [Mark?] = Array(repeating: nil, count: n)
        var pending: [ServiceObservation] = []
        var backoff = Backoff()
        while true {
            var progressed = false
            for w in 0 ..< n where reached[w] == nil {
                if position[w] == queued[w].count {
                    queued[w] = outboxes[w].takeAll()
                    position[w] = 0
                }
                while position[w] < queued[w].count {
                    let batch = queued[w][position[w]]
                    position[w] += 1
                    progressed = true
                    write(batch)
                    pending.append(contentsOf: batch.observations)
                    if let mark = batch.mark {
                        reached[w] = mark
                        if let c = batch.counters { workerCounters[w] = c }
                        break
                    }
                }
            }
            if reached.allSatisfy({ $0 != nil }), let mark = reached[0] {
                noteShedding(before: mark)
                lastMark = mark
                apply(&pending, upTo: mark)
                publish()
                if mark.isFinal {
                    emitter.finish()
                    publish()
                    return
                }
                for w in 0 ..< n { reached[w] = nil }
                progressed = true
            }
            if progressed { backoff.reset() } else { backoff.wait() }
        }
    }

    private func write(_ batch: WorkerBatch) {
        if batch.transactionsSampledOut > 0 { emitter.noteSampledOut(batch.transactionsSampledOut) }
        guard !batch.records.isEmpty else { return }
        batch.bytes.withUnsafeBytes { raw in
            var start = 0
            for r in batch.records {
                emitter.emit(tail: UnsafeRawBufferPointer(rebasing: raw[start ..< r.end]), kind: r.kind, key: r.key)
                start = r.end
            }
        }
    }

    /// Applies the observations made before `mark` in canonical order, then moves time to it.
    private func apply(_ pending: inout [ServiceObservation], upTo mark: Mark) {
        pending.sort(by: ServiceObservation.canonicalOrder)
        for o in pending { emitter.observe(o) }
        pending.removeAll(keepingCapacity: true)
        emitter.clock(mark.nanos)
    }

    /// Packets shed since the previous mark make the windows and intervals overlapping that span
    /// incomplete: their records say so.
    private func noteShedding(before mark: Mark) {
        let before = (lastMark?.shedRingFull ?? 0) &+ (lastMark?.shedTooLarge ?? 0)
        guard mark.shedRingFull &+ mark.shedTooLarge > before else { return }
        emitter.noteIncomplete(from: lastMark?.nanos ?? .min, to: mark.nanos)
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
        }
    }
}

/// What the merger publishes for `status` (read from the capture thread).
struct MergerSnapshot: Sendable {
    var flows = FlowCounters()
    var reassembly: StreamReassemblyCounters?
    var emitter = RecordEmitter.Stats()
    var shed = AnalyticsShedCounters()
}
