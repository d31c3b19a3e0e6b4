import Records

/// The ``FlowEventSink`` of one worker's analyzer: encodes `conn` and `txn` records where they
/// arise (the costly part of records, spread over the workers) and writes them through the shared
/// ``SequencedRecordWriter``; keeps the observations of the current mark interval for the merger.
/// `txn` sampling is decided here with the same deterministic rule as ``RecordEmitter``.
///
/// It also aggregates the **edges** of its flows and writes their records: every flow of an edge
/// (one client, one service) lands on this worker, since the shard key is the address pair. The
/// aggregator gets this worker's observations in the merger's order (canonical, mark by mark) and
/// moves to each mark's time as the merger does, so an edge's intervals hold what they would with
/// one analyzer. Owned by the worker thread.
final class WorkerSink: FlowEventSink {
    private let config: RecordEmitterConfig
    private let writer: SequencedRecordWriter
    private let outbox: WorkerOutbox
    private let agentClock: () -> Int64
    private var encoder: RecordEncoder
    private var observations: [ServiceObservation] = []
    private var sampledOut: UInt64 = 0
    let edges: EdgeAggregator
    private var incomplete = IncompleteSpans()
    private var lastMark: Mark?

    /// `maxEdges`: this worker's share of the edge bound.
    init(config: RecordEmitterConfig, writer: SequencedRecordWriter, outbox: WorkerOutbox, maxEdges: Int,
         agentClock: @escaping () -> Int64) {
        self.config = config
        self.writer = writer
        self.outbox = outbox
        self.agentClock = agentClock
        encoder = RecordEncoder(agentID: config.agentID, epoch: config.epoch)
        edges = EdgeAggregator(intervalNanos: config.edgeIntervalNanos, maxEdges: maxEdges)
        edges.onReport = { [unowned self] report in self.writeEdge(report) }
    }

    private static func isSorted(_ o: [ServiceObservation]) -> Bool {
        var i = 1
        while i < o.count {
            if ServiceObservation.canonicalOrder(o[i], o[i - 1]) { return false }
            i += 1
        }
        return true
    }

    private func writeEdge(_ report: EdgeReport) {
        encoder.beginTail(ts: report.intervalEndNanos, agentTs: agentClock())
        encoder.edge(report, incomplete: incomplete.overlap(report.intervalStartNanos, report.intervalEndNanos))
        encoder.end()
        writer.write(tail: encoder.writer.bytes, kind: .edge, key: report.edge.service.id)
    }

    func connection(_ summary: ConnSummary) {
        guard config.connRecords else { return }
        encoder.beginTail(ts: summary.lastNanos, agentTs: agentClock())
        encoder.conn(summary)
        encoder.end()
        writer.write(tail: encoder.writer.bytes, kind: .conn, key: summary.service.id)
    }

    func transaction(_ summary: TransactionSummary) {
        let rate = max(1, config.transactionSampleRate)
        if !summary.isError && rate > 1 && !RecordEmitter.sampled(summary, rate: rate) {
            sampledOut += 1
            return
        }
        encoder.beginTail(ts: summary.requestNanos, agentTs: agentClock())
        encoder.txn(summary, sampleRate: summary.isError ? 1 : rate)
        encoder.end()
        writer.write(tail: encoder.writer.bytes, kind: .txn, key: summary.service.id)
    }

    func observe(_ observation: ServiceObservation) { observations.append(observation) }

    /// Time is the merger's business (marks); nothing to do per second here.
    func clock(_ nanos: Int64) {}

    /// Sends the interval's observations, sorted here (the sort is spread over the workers; the
    /// merger merges sorted runs), with the mark and the worker's counters.
    func mark(_ mark: Mark, counters: WorkerCounters) {
        // Usually already in order (observations follow packet time): then the check is the sort.
        if !Self.isSorted(observations) { observations.sort(by: ServiceObservation.canonicalOrder) }
        // Shedding since the previous mark, as the merger notes it for service windows.
        if let span = mark.shedSpan(since: lastMark) { incomplete.note(from: span.from, to: span.to) }
        lastMark = mark
        for o in observations { edges.observe(o) }
        if mark.nanos != .min { edges.advance(to: mark.nanos) }  // .min: no packet yet
        if mark.isFinal { edges.finish() }
        var counters = counters
        counters.edgesOverflow = edges.overflowObservations
        outbox.send(WorkerBatch(observations: observations, transactionsSampledOut: sampledOut, mark: mark, counters: counters))
        observations = []
        observations.reserveCapacity(1024)
        sampledOut = 0
    }
}
