import Records

/// The ``FlowEventSink`` of one worker's analyzer: encodes `conn` and `txn` records where they
/// arise (the costly part of records, spread over the workers), keeps the observations for the
/// merger, and sends both in batches. `txn` sampling is decided here with the same deterministic
/// rule as ``RecordEmitter``. Owned by the worker thread.
final class WorkerSink: FlowEventSink {
    private let config: RecordEmitterConfig
    private let outbox: WorkerOutbox
    private let agentClock: () -> Int64
    private var encoder: RecordEncoder
    private var batch = WorkerBatch()
    /// A batch is sent once it holds this many items (records + observations).
    private let batchItems: Int

    init(config: RecordEmitterConfig, outbox: WorkerOutbox, agentClock: @escaping () -> Int64, batchItems: Int = 512) {
        self.config = config
        self.outbox = outbox
        self.agentClock = agentClock
        self.batchItems = batchItems
        encoder = RecordEncoder(agentID: config.agentID, epoch: config.epoch)
    }

    func connection(_ summary: ConnSummary) {
        guard config.connRecords else { return }
        encoder.beginTail(ts: summary.lastNanos, agentTs: agentClock())
        encoder.conn(summary)
        append(.conn, key: summary.service.id)
    }

    func transaction(_ summary: TransactionSummary) {
        let rate = max(1, config.transactionSampleRate)
        if !summary.isError && rate > 1 && !RecordEmitter.sampled(summary, rate: rate) {
            batch.transactionsSampledOut += 1
            return
        }
        encoder.beginTail(ts: summary.requestNanos, agentTs: agentClock())
        encoder.txn(summary, sampleRate: summary.isError ? 1 : rate)
        append(.txn, key: summary.service.id)
    }

    func observe(_ observation: ServiceObservation) {
        batch.observations.append(observation)
        if batch.itemCount >= batchItems { send() }
    }

    /// Time is the merger's business (marks); nothing to do per second here.
    func clock(_ nanos: Int64) {}

    /// Closes the current batch with a mark and the worker's counters, and sends it.
    func mark(_ mark: Mark, counters: WorkerCounters) {
        batch.mark = mark
        batch.counters = counters
        send()
    }

    private func append(_ kind: RecordKind, key: String) {
        encoder.end()
        batch.bytes.append(contentsOf: encoder.writer.bytes)
        batch.records.append(.init(kind: kind, key: key, end: batch.bytes.count))
        if batch.itemCount >= batchItems { send() }
    }

    private func send() {
        outbox.send(batch)
        batch = WorkerBatch()
        batch.bytes.reserveCapacity(64 * 1024)
        batch.observations.reserveCapacity(batchItems)
    }
}
