import Records

/// The analytics end of the flow tracker: receives its events (``FlowEventSink``), feeds the
/// service-state machines, the `service_seen` tracker and the edge aggregator, and turns
/// everything into records, numbered by `seq` and encoded as NDJSON lines for a ``RecordOutput``.
///
/// Owned by the analytics thread; not thread-safe. Every callback into it happens on that thread.
public final class RecordEmitter: FlowEventSink {
    /// Counters reported in `agent_health`.
    public struct Stats: Sendable, Hashable {
        /// Records handed to the output and accepted, and refused by it, per kind
        /// (indexed like ``RecordKind/allCases``).
        public var emitted = [UInt64](repeating: 0, count: RecordKind.allCases.count)
        public var dropped = [UInt64](repeating: 0, count: RecordKind.allCases.count)
        /// Successful transactions not written because of sampling.
        public var transactionsSampledOut: UInt64 = 0
        /// Services tracked, and observations dropped by the service and edge bounds (as of the
        /// last `agent_health`).
        public var servicesTracked: UInt64 = 0
        public var servicesOverflow: UInt64 = 0
        public var edgesOverflow: UInt64 = 0

        /// Records of `kind` accepted by the output.
        public func emitted(_ kind: RecordKind) -> UInt64 { emitted[kind.index] }
        /// Records of `kind` refused by the output.
        public func dropped(_ kind: RecordKind) -> UInt64 { dropped[kind.index] }
    }

    public let config: RecordEmitterConfig
    /// The components it feeds (exposed for inspection; their `onReport` belongs to the emitter).
    public let services: ServiceMonitor
    public let edges: EdgeAggregator
    public let seen: ServiceSeenTracker
    /// Called on the emitter's thread with every `service_state` it writes (the agent's pins watch
    /// transitions through it). Set before packets flow.
    public var onServiceState: ((ServiceStateReport) -> Void)?
    /// Called at each `agent_health` interval for the agent's counters; `nil` = zeros.
    public var healthSource: (() -> AgentHealth)?
    /// Counters reported in `agent_health` (records of every thread writing through ``writer``).
    public var stats: Stats {
        var s = ownStats
        (s.emitted, s.dropped) = writer.counts
        return s
    }
    private var ownStats = Stats()
    /// The last `seq` assigned (0 before the first record; the first record has seq 1).
    public var lastSeq: UInt64 { writer.lastSeq }
    /// Numbers every record and hands it to the output; shared with the analytics workers, which
    /// write their `conn` and `txn` records through it.
    public let writer: SequencedRecordWriter
    /// New service thresholds from another thread (central configuration), applied at the next
    /// packet-time advance on the thread that drives this emitter.
    public let thresholdUpdates = ThresholdMailbox()
    /// Latest packet time seen.
    public private(set) var now: Int64 = .min

    private let agentClock: () -> Int64
    private var encoder: RecordEncoder
    private var nextHealth: Int64?
    private var lastFlushSecond = Int64.min

    /// - Parameter agentClock: the agent wall clock for `agent_ts` (injectable for tests).
    public init(config: RecordEmitterConfig, output: any RecordOutput,
                agentClock: @escaping () -> Int64 = RecordEmitterConfig.wallClockNanos) {
        self.config = config
        writer = SequencedRecordWriter(output: output, agentID: config.agentID, epoch: config.epoch)
        self.agentClock = agentClock
        encoder = RecordEncoder(agentID: config.agentID, epoch: config.epoch)
        services = ServiceMonitor(config: config.services)
        edges = EdgeAggregator(intervalNanos: config.edgeIntervalNanos, maxEdges: config.maxEdges)
        seen = ServiceSeenTracker(reannounceNanos: config.seenReannounceNanos,
                                  maxServices: config.services.maxServices)
        // The components report through the emitter; `unowned` because the emitter owns them.
        services.onReport = { [unowned self] report in
            let incomplete = self.isIncomplete(report.windowStartNanos, report.windowEndNanos)
            self.emit(.serviceState, ts: report.windowEndNanos, key: report.service.id) { $0.serviceState(report, incomplete: incomplete) }
            self.onServiceState?(report)
        }
        edges.onReport = { [unowned self] report in
            let incomplete = self.isIncomplete(report.intervalStartNanos, report.intervalEndNanos)
            self.emit(.edge, ts: report.intervalEndNanos, key: report.edge.service.id) { $0.edge(report, incomplete: incomplete) }
        }
    }

    // MARK: FlowEventSink

    /// Writes a `conn` record (unless ``RecordEmitterConfig/connRecords`` is off).
    public func connection(_ summary: ConnSummary) {
        guard config.connRecords else { return }
        emit(.conn, ts: summary.lastNanos, key: summary.service.id) { $0.conn(summary) }
    }

    /// Writes a `txn` record: errors always, successes 1 in ``RecordEmitterConfig/transactionSampleRate``.
    public func transaction(_ summary: TransactionSummary) {
        let rate = max(1, config.transactionSampleRate)
        if !summary.isError && rate > 1 && !Self.sampled(summary, rate: rate) {
            ownStats.transactionsSampledOut += 1
            return
        }
        emit(.txn, ts: summary.requestNanos, key: summary.service.id) { $0.txn(summary, sampleRate: summary.isError ? 1 : rate) }
    }

    /// Feeds the `service_seen` tracker, the service-state machines and the edge aggregator.
    public func observe(_ observation: ServiceObservation) {
        advance(to: observation.timeNanos)
        if let announcement = seen.note(observation.service, application: observation.application,
                                        at: observation.timeNanos, tunnel: observation.tunnel) {
            emit(.serviceSeen, ts: announcement.nanos, key: announcement.service.id) { $0.serviceSeen(announcement) }
        }
        services.observe(observation)
        if aggregatesEdges { edges.observe(observation) }
    }

    /// Advances packet time: closes windows and intervals, writes `agent_health` when due, and
    /// lets the output flush once per second of packet time.
    public func clock(_ nanos: Int64) {
        advance(to: nanos)
        // The output gets one flush chance per second of packet time, not one per event.
        let second = nanos / 1_000_000_000
        if second != lastFlushSecond {
            lastFlushSecond = second
            writer.flush()
        }
    }

    private func advance(to nanos: Int64) {
        guard nanos > now else { return }
        now = nanos
        if let set = thresholdUpdates.take() { services.replaceThresholds(set) }
        services.advance(to: nanos)
        if aggregatesEdges { edges.advance(to: nanos) }
        let interval = config.healthIntervalNanos
        if let due = nextHealth {
            if nanos >= due {
                emitHealth(ts: nanos)
                nextHealth = (nanos / interval + 1) * interval
            }
        } else {
            nextHealth = (nanos / interval + 1) * interval
        }
    }

    // MARK: agent side

    /// Reports the open edge interval and a final `agent_health` (agent shutdown). The output is
    /// flushed, not closed: its owner closes it.
    public func finish() {
        if aggregatesEdges { edges.finish() }
        emitHealth(ts: now == .min ? agentClock() : now)
        writer.flush()
    }

    /// Writes an `agent_health` record now, at packet time `ts`.
    public func emitHealth(ts: Int64) {
        let health = healthSource?() ?? AgentHealth()
        ownStats.servicesTracked = UInt64(services.serviceCount)
        ownStats.servicesOverflow = services.overflowObservations
        ownStats.edgesOverflow = edges.overflowObservations + workerEdgesOverflow
        let snapshot = stats
        emit(.agentHealth, ts: ts, key: config.agentID) { $0.agentHealth(health, emitter: snapshot) }
    }

    /// Whether a successful transaction is in the deterministic 1-in-`rate` sample: a hash of the
    /// connection (client, client port, service) and request time, so replays, restarts and any
    /// number of analytics workers (whose flow ids differ) keep the same ones.
    static func sampled(_ t: TransactionSummary, rate: Int) -> Bool {
        var x = t.client.high ^ (t.client.low &* 0x9E37_79B9_7F4A_7C15) ^ t.service.address.low ^ (t.service.address.high << 1)
        x ^= (UInt64(t.clientPort) << 48) ^ (UInt64(t.service.port) << 32) ^ t.service.tenant.rawValue
        x ^= UInt64(bitPattern: t.requestNanos) &* 0xD6E8_FEB8_6659_FD93
        // SplitMix64 finaliser: spreads nearby inputs over the whole range.
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return x % UInt64(rate) == 0
    }

    private var incompleteSpans = IncompleteSpans()

    /// Notes that analytics shed packets between packet times `from` and `to`: the service
    /// windows and edge intervals overlapping that span get `"incomplete": true`.
    public func noteIncomplete(from: Int64, to: Int64) { incompleteSpans.note(from: from, to: to) }

    func isIncomplete(_ start: Int64, _ end: Int64) -> Bool { incompleteSpans.overlap(start, end) }

    /// Whether this emitter aggregates edges itself. The sharded analytics turns it off: each
    /// worker aggregates the edges of its own flows (an edge's flows all land on one worker) and
    /// writes their records, so the merger does not.
    public var aggregatesEdges = true
    /// Observations the workers' edge aggregators dropped at their bounds (for `agent_health`).
    public var workerEdgesOverflow: UInt64 = 0

    /// Counts a successful transaction a worker left out of the sample.
    public func noteSampledOut(_ count: UInt64) { ownStats.transactionsSampledOut += count }

    private func emit(_ kind: RecordKind, ts: Int64, key: String, body: (inout RecordEncoder) -> Void) {
        encoder.beginTail(ts: ts, agentTs: agentClock())
        body(&encoder)
        encoder.end()
        writer.write(tail: encoder.writer.bytes, kind: kind, key: key)
    }
}
