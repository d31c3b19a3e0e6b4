import PacketDecoding
import Synchronization

/// Flow analytics spread over worker threads, fed by the capture thread.
///
/// The capture thread (``packet(_:linkType:timestampNanos:segmentID:)``) decodes each packet once,
/// picks its worker by ``ShardKey`` (both directions and every fragment of a flow go to the same
/// worker; fragmented tunnel packets are reassembled here first so their inner flow is known),
/// and copies the frame into that worker's ``PacketRing`` (the worker decodes it again: cheaper than
/// carrying the decoded form; only a rebuilt inner packet travels decoded). Each worker owns a
/// ``FlowAnalyzer``, writes its `conn` and `txn` records and aggregates the edges of its flows
/// (every flow of an edge is on one worker); the ``RecordMerger`` thread runs the service and
/// `service_seen` tracking on the workers' observations, in a canonical order mark by mark. Every
/// record is numbered by one ``SequencedRecordWriter``. The records are the same for any number of
/// workers, apart from their order, `seq`, `uid` and `agent_ts` (see docs/pipeline.md).
///
/// The flow-table limit is shared (``FlowBudget``); the reassembly byte cap, the application-state
/// cap and the edge bound are split evenly.
public final class ShardedAnalytics {
    /// Why the capture thread did not hand a packet to analytics.
    public struct Counters: Sendable, Hashable {
        /// Packets dropped from analytics because their worker's ring was full (live capture only;
        /// storage kept them).
        public var shedRingFull: UInt64 = 0
        /// Packets whose worker ring could not hold them at all (larger than half a ring).
        public var shedTooLarge: UInt64 = 0
        /// Packets handed to workers.
        public var dispatched: UInt64 = 0
        /// Packets per worker (balance).
        public var perWorker: [UInt64] = []
        public init() {}
    }

    public let config: ShardedAnalyticsConfig
    public let emitter: RecordEmitter
    private let workers: [AnalyticsWorker]
    /// The workers' rings, unretained: the per-packet path takes no reference count (the workers
    /// array keeps them alive).
    private let rings: [Unmanaged<PacketRing>]
    private let merger: RecordMerger
    private let budget: FlowBudget?
    private var decoded = DecodedPacket()
    private var inner = DecodedPacket()
    private let tunnelReassembler: TunnelFragmentReassembler
    /// Latest packet time dispatched (the stream's clock).
    public private(set) var streamNanos: Int64 = .min
    private var nextMarkNanos: Int64 = .min
    public private(set) var counters = Counters()
    private var finished = false
    /// Read on the capture thread at each mark for `agent_health` (packets received and dropped
    /// by the source, store bytes).
    public var captureFigures: (() -> CaptureFigures)?

    /// `analytics` is the configuration of each worker's analyzer (its `shard` is set here);
    /// `emitter` receives every record (it moves to the merger thread).
    public init(config: ShardedAnalyticsConfig, analytics: AnalyticsConfig, emitter: RecordEmitter,
                agentClock: @escaping @Sendable () -> Int64 = RecordEmitterConfig.wallClockNanos) {
        self.config = config
        self.emitter = emitter
        let n = max(1, config.workers)
        let budget = FlowBudget(limit: max(1, analytics.maxFlows))
        self.budget = n > 1 ? budget : nil
        var outboxes: [WorkerOutbox] = []
        var workers: [AnalyticsWorker] = []
        for i in 0 ..< n {
            var a = analytics
            a.shard = AnalyzerShard(index: i, count: n)
            a.reassembly.maxTotalBytes = max(1, analytics.reassembly.maxTotalBytes / n)
            a.maxApplicationFlows = max(1, analytics.maxApplicationFlows / n)
            let outbox = WorkerOutbox()
            let sink = WorkerSink(config: emitter.config, writer: emitter.writer, outbox: outbox,
                                  maxEdges: max(1, emitter.config.maxEdges / n), agentClock: agentClock)
            let analyzer = FlowAnalyzer(config: a, sink: sink, budget: n > 1 ? budget : nil)
            outboxes.append(outbox)
            workers.append(AnalyticsWorker(ring: PacketRing(bytes: config.ringBytes), analyzer: analyzer, sink: sink))
        }
        self.workers = workers
        rings = workers.map { Unmanaged.passUnretained($0.ring) }
        merger = RecordMerger(emitter: emitter, outboxes: outboxes)
        var limits = TunnelFragmentReassembler.Limits()
        limits.timeoutNanos = analytics.fragmentTimeoutNanos
        tunnelReassembler = TunnelFragmentReassembler(limits: limits)
        counters.perWorker = Array(repeating: 0, count: n)
        // Edges are aggregated by the workers (WorkerSink), not by the merger's emitter.
        emitter.aggregatesEdges = false
        // `agent_health` from the merger's figures, unless the owner provides its own.
        if emitter.healthSource == nil { emitter.healthSource = mergerHealth }
        if !config.startsSuspended { start() }
    }

    private var started = false

    /// Starts the worker and merger threads (done by `init` unless ``ShardedAnalyticsConfig/startsSuspended``).
    public func start() {
        guard !started else { return }
        started = true
        for w in workers { w.start() }
        merger.start()
    }

    deinit {
        captureFigures = nil  // its owner may be gone already
        finish()
    }

    public var workerCount: Int { workers.count }

    /// Hands one packet to its worker (capture thread). `segmentID` is -1 when it was not stored.
    @inline(__always)
    public func packet(_ bytes: UnsafeRawBufferPointer, linkType: LinkType, timestampNanos: Int64, segmentID: Int64) {
        PacketDecoder.decode(bytes, linkType: linkType, into: &decoded)
        if timestampNanos > streamNanos { streamNanos = timestampNanos }
        if decoded.fragment.isFragment && TunnelFragmentReassembler.wants(decoded) {
            reassembleOuter(bytes, timestampNanos: timestampNanos, segmentID: segmentID)
        } else {
            let w = rings.count == 1 ? 0 : ShardKey.worker(ShardKey.of(decoded), count: rings.count)
            dispatch(to: w, nil, bytes, linkType: linkType.rawValue, timestampNanos: timestampNanos, segmentID: segmentID)
        }
        if streamNanos >= nextMarkNanos { markAll(isFinal: false) }
    }

    /// A fragment of a tunnel's outer packet: the reassembled inner packet goes to its own
    /// flow's worker (the fragments alone do not say which).
    @inline(never)
    private func reassembleOuter(_ bytes: UnsafeRawBufferPointer, timestampNanos: Int64, segmentID: Int64) {
        let fragment = decoded
        tunnelReassembler.add(bytes, fragment, timeNanos: timestampNanos, into: &inner) { datagram, inner in
            let w = rings.count == 1 ? 0 : ShardKey.worker(ShardKey.of(inner), count: rings.count)
            dispatch(to: w, inner, datagram, linkType: 0, timestampNanos: timestampNanos, segmentID: segmentID)
        }
    }

    /// Copies a packet into worker `w`'s ring: the frame alone (`decoded` nil: the worker decodes
    /// it), or a rebuilt packet with its decoded form.
    @inline(__always)
    private func dispatch(to w: Int, _ decoded: DecodedPacket?, _ bytes: UnsafeRawBufferPointer, linkType: UInt32,
                          timestampNanos: Int64, segmentID: Int64) {
        rings[w]._withUnsafeGuaranteedRef { ring in
            let offset = decoded == nil ? PacketEntry.frameOffset : PacketEntry.bytesOffset
            let tag = decoded == nil ? RingTag.packet : RingTag.decodedPacket
            let length = offset + bytes.count
            var slot = ring.reserve(length, tag: tag)
            if slot == nil {
                guard length <= ring.maxPayload, bytes.count <= Int(Int32.max) else {
                    counters.shedTooLarge &+= 1
                    return
                }
                guard config.waitWhenFull else {
                    counters.shedRingFull &+= 1
                    return
                }
                if !started { start() }  // a suspended analyzer whose ring filled: no deadlock
                var backoff = Backoff()
                while slot == nil {
                    backoff.wait()
                    slot = ring.reserve(length, tag: tag)
                }
            }
            guard let slot else { return }
            slot.storeBytes(of: PacketEntry(timestampNanos: timestampNanos, streamNanos: streamNanos, segmentID: segmentID,
                                            length: Int32(truncatingIfNeeded: bytes.count), linkType: linkType),
                            as: PacketEntry.self)
            if let decoded {
                (slot + PacketEntry.decodedOffset).bindMemory(to: DecodedPacket.self, capacity: 1).initialize(to: decoded)
            }
            if let base = bytes.baseAddress, bytes.count > 0 {
                (slot + offset).copyMemory(from: base, byteCount: bytes.count)
            }
            ring.commit()
            counters.dispatched &+= 1
            counters.perWorker[w] &+= 1
        }
    }

    /// Moves packet time on with no packet (an idle live link): every worker fires what is due
    /// and the merger closes windows.
    public func advance(toNanos nanos: Int64) {
        guard !finished, nanos > streamNanos else { return }
        streamNanos = nanos
        markAll(isFinal: false)
    }

    /// Sends a mark to every worker. Marks are never shed: the capture thread waits for room.
    private func markAll(isFinal: Bool) {
        let mark = Mark(nanos: streamNanos, isFinal: isFinal, shedRingFull: counters.shedRingFull,
                        shedTooLarge: counters.shedTooLarge, capture: captureFigures?() ?? CaptureFigures())
        for w in workers {
            var slot = w.ring.reserve(MemoryLayout<Mark>.stride, tag: RingTag.mark)
            if slot == nil && !started { start() }
            var backoff = Backoff()
            while slot == nil {
                backoff.wait()
                slot = w.ring.reserve(MemoryLayout<Mark>.stride, tag: RingTag.mark)
            }
            slot?.storeBytes(of: mark, as: Mark.self)
            w.ring.commit()
        }
        let interval = max(1, config.markIntervalNanos)
        nextMarkNanos = streamNanos == .min ? .min : (streamNanos / interval + 1) * interval
    }

    /// End of input: every worker ends its flows, the merger writes the last records and
    /// ``RecordEmitter/finish()`` runs; returns once all threads ended. Idempotent.
    public func finish() {
        endOfInput()
        start()
        for w in workers { w.join() }
        merger.join()
    }

    /// Sends the final mark without waiting for the threads (benchmarks: the rings then hold the
    /// whole input before ``start()``). ``finish()`` still has to be called.
    public func endOfInput() {
        guard !finished else { return }
        finished = true
        markAll(isFinal: true)
    }

    /// Flow counters of all workers and the record counters, as of the last mark (any time on the
    /// capture thread; exact after ``finish()``).
    public var snapshot: (flows: FlowCounters, reassembly: StreamReassemblyCounters?, emitter: RecordEmitter.Stats) {
        let s = merger.snapshot
        return (s.flows, s.reassembly, s.emitter)
    }

    /// The most flows open at once across the workers so far (the shared budget's high-water mark;
    /// nil with one worker, whose table enforces the limit alone).
    public var peakOpenFlows: Int? { budget?.peak }

    /// What was shed, as of the last mark (capture thread; exact after ``finish()``).
    public var shed: AnalyticsShedCounters { merger.snapshot.shed }

    /// Seconds the workers spent analysing (not waiting for packets), added up, as of the last mark.
    public var workersBusySeconds: Double { Double(merger.snapshot.workersBusyNanos) / 1e9 }

    /// For the emitter's `healthSource` (`agent_health` is written on the merger thread): reads the
    /// figures the merger holds. It does not keep this object alive, so it may run while this
    /// object's `deinit` finishes the threads.
    public var mergerHealth: () -> AgentHealth {
        { [unowned merger] in merger.health }
    }

    /// The outer-fragment reassembler's counters (capture thread).
    public var tunnelReassembly: TunnelFragmentReassembler.Counters { tunnelReassembler.counters }
}
