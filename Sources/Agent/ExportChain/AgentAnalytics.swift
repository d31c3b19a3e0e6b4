import Synchronization
import Analytics
import Transport
import Foundation
import Logging
import PacketDecoding
import Records
import SystemIO

/// The agent's analytics and export chain: flow tracking → records → record files and the spool
/// → Kafka / HTTP sinks. Called by the capture thread (like the store), which only decodes each
/// packet and hands it to an analytics worker (``ShardedAnalytics``, docs/pipeline.md); the
/// workers, the record merger, the sinks and the spool's flusher run on their own threads, so
/// neither analytics nor export blocks capture.
public final class AgentAnalytics {
    public let analytics: ShardedAnalytics
    public let emitter: RecordEmitter
    /// Service transitions that ask for a pin, for the store's ``PinKeeper`` (docs/pins.md).
    public let pinTriggers = PinMailbox()
    public let spool: Spool?
    /// The sinks draining the spool now (replaced live when a central configuration moves an
    /// export target: ``replaceExport(_:)``).
    public var sinks: [any ExportSink] { sinkSet.current }
    private let sinkSet: SinkList
    /// What the sinks were built from, and what a replacement needs.
    private var exportSettings: ExportSettings
    private let agentID: String
    private let layout: StoreLayout
    private let files: NDJSONFileOutput?
    private let logger: Logger
    /// Packet time of the last packet. Live capture keeps packet time moving on an idle link from
    /// the wall clock: `idle()` notes when it first saw that packet time (`idleSince`), so the
    /// per-packet path reads no clock.
    private var lastPacketNanos: Int64 = .min
    private var idleFrom: Int64 = .min
    private var idleSince: Int64 = 0
    /// Announced in `agent_health` (see ``AgentConfig/queryAPIURL``).
    public var queryAPI: String?
    /// Filled by the owner so `agent_health` reports capture and storage figures (read on the
    /// capture thread).
    public var healthCounters: (() -> (received: UInt64, dropped: UInt64, storeBytes: UInt64))? {
        didSet {
            let source = healthCounters
            analytics.captureFigures = source.map { f in
                { let c = f(); return CaptureFigures(packetsReceived: c.received, packetsDropped: c.dropped, storeBytes: c.storeBytes) }
            }
        }
    }

    /// Builds the chain a configuration describes; `layout` says where record files and the spool go
    /// (`recordsDirectory` overrides the record files' place: `reanalyze` writes elsewhere).
    /// `live`: packets come from a live interface, so a worker that falls behind makes analytics
    /// shed packets (counted) rather than make capture wait; from a file, capture waits.
    public init(config: AgentConfig, layout: StoreLayout, recordsDirectory: String? = nil, live: Bool = false,
                logger: Logger) throws {
        self.logger = logger
        let a = config.analytics
        let agentID = config.agentID ?? ProcessInfo.processInfo.hostName
        self.agentID = agentID
        self.layout = layout
        exportSettings = config.export
        var emitterConfig = RecordEmitterConfig(agentID: agentID, epoch: RecordEmitterConfig.bootEpoch())
        emitterConfig.transactionSampleRate = a.transactionSampleRate
        emitterConfig.services.windowNanos = Int64(a.windowSeconds * 1e9)
        emitterConfig.services.use(a.thresholds)
        emitterConfig.edgeIntervalNanos = Int64(a.edgeIntervalSeconds * 1e9)

        var outputs: [any RecordOutput] = []
        if a.recordFiles {
            var fileConfig = NDJSONFileOutput.Config()
            fileConfig.maxTotalBytes = Int64(min(a.recordFilesBytes, UInt64(Int64.max)))
            fileConfig.compress = a.recordFilesCompress
            let output = try NDJSONFileOutput(directory: recordsDirectory ?? layout.root + "/records", config: fileConfig)
            files = output
            outputs.append(output)
        } else {
            files = nil
        }
        let e = config.export
        var sinkNames: [String] = []
        if e.kafkaBootstrap != nil { sinkNames.append("kafka") }
        if e.httpURL != nil { sinkNames.append("http") }
        if sinkNames.isEmpty {
            spool = nil
            sinkSet = SinkList([])
        } else {
            var spoolConfig = SpoolConfig(directory: layout.root + "/spool")
            spoolConfig.maxBytes = e.spoolBytes
            let spool = try Spool(config: spoolConfig, sinks: sinkNames, logger: logger)
            let built: [any ExportSink]
            do {
                built = try Self.makeSinks(e, spool: spool, agentID: agentID, layout: layout, logger: logger)
            } catch {
                spool.close()
                throw error
            }
            self.spool = spool
            sinkSet = SinkList(built)
            outputs.append(SpoolRecordOutput(spool: spool))
        }
        let output: any RecordOutput = outputs.isEmpty ? NullRecordOutput()
            : outputs.count == 1 ? outputs[0] : FanOutRecordOutput(outputs)
        emitter = RecordEmitter(config: emitterConfig, output: output)
        if config.pins.enabled {
            let pins = config.pins, triggers = pinTriggers
            emitter.onServiceState = { r in if let t = PinTrigger.from(r, config: pins) { triggers.post(t) } }
        }
        var flowConfig = AnalyticsConfig()
        flowConfig.maxFlows = a.maxFlows
        flowConfig.tunnels = a.tunnels
        flowConfig.reassembly = a.reassembly
        var sharding = ShardedAnalyticsConfig()
        sharding.workers = a.workers
        sharding.ringBytes = a.ringBytes
        sharding.waitWhenFull = !live
        analytics = ShardedAnalytics(config: sharding, analytics: flowConfig, emitter: emitter)
        queryAPI = config.queryAPIURL
        let queryAPI = config.queryAPIURL
        // Called by the emitter on the merger thread: only the merger's figures are read there.
        let mergerHealth = analytics.mergerHealth
        let sinkSet = self.sinkSet
        emitter.healthSource = {
            var h = mergerHealth()
            h.queryAPI = queryAPI
            h.sinks = sinkSet.current.map { $0.stats() }
            return h
        }
        for sink in sinks { sink.start() }
    }

    /// The Kafka and HTTP sinks a configuration describes, on `spool` (their cursors are theirs by name).
    static func makeSinks(_ e: ExportSettings, spool: Spool, agentID: String, layout: StoreLayout, logger: Logger) throws -> [any ExportSink] {
        var built: [any ExportSink] = []
        if let bootstrap = e.kafkaBootstrap {
            var k = KafkaSinkConfig(bootstrapServers: bootstrap)
            k.topicPrefix = e.kafkaTopicPrefix
            k.topics = e.kafkaTopics
            k.properties = e.kafkaProperties
            built.append(try KafkaSink(config: k, spool: spool, logger: logger))
        }
        if let url = e.httpURL {
            var h = HTTPSinkConfig(url: url)
            h.bearerToken = e.httpToken
            h.bearerTokenFile = e.httpTokenFile
            h.caFile = e.httpCAFile
            h.agentID = agentID
            h.deadLetterPath = layout.root + "/spool/dead-letter.ndjson"
            built.append(try HTTPSink(config: h, spool: spool, logger: logger))
        }
        return built
    }

    /// Moves the export targets (central configuration, docs/fleet.md) with the spool kept: each
    /// sink whose settings changed is stopped (what it had not sent stays in the spool, at its
    /// cursor) and replaced by one for the new target, which starts from that cursor. A change
    /// that adds or removes a sink, or resizes the spool, waits for a restart: returns false.
    public func replaceExport(_ e: ExportSettings) throws -> Bool {
        guard e != exportSettings else { return true }
        let kinds = { (x: ExportSettings) in [x.kafkaBootstrap != nil, x.httpURL != nil] }
        guard let spool, kinds(e) == kinds(exportSettings), e.spoolBytes == exportSettings.spoolBytes else { return false }
        let fresh = try Self.makeSinks(e, spool: spool, agentID: agentID, layout: layout, logger: logger)
        let old = sinkSet.swap(fresh)
        for sink in old { sink.stop(drainSeconds: 0) }
        for sink in fresh { sink.start() }
        logger.notice("export targets replaced; the spool is kept", metadata: ["kafka": "\(e.kafkaBootstrap ?? "-")", "http": "\(e.httpURL ?? "-")"])
        exportSettings = e
        return true
    }

    /// New service thresholds, from any thread: the merger applies them at its next packet time.
    public func replaceThresholds(_ set: ServiceThresholdSet) { emitter.thresholdUpdates.post(set) }

    /// Analyses one packet (`segmentID` -1 when it was not stored).
    @inline(__always)
    public func packet(_ bytes: UnsafeRawBufferPointer, linkType: UInt32, timestampNanos: Int64, segmentID: Int64) {
        analytics.packet(bytes, linkType: LinkType(rawValue: linkType), timestampNanos: timestampNanos, segmentID: segmentID)
        lastPacketNanos = timestampNanos
    }

    /// Live capture on an idle link: moves packet time on with the wall clock so windows close,
    /// timeouts fire and heartbeats go out.
    public func idle() {
        guard lastPacketNanos != .min else { return }
        let now = WallClock.monotonicNanos()
        if idleFrom != lastPacketNanos {  // packets came since the last idle tick
            idleFrom = lastPacketNanos
            idleSince = now
            return
        }
        let elapsed = now - idleSince
        if elapsed > 500_000_000 { analytics.advance(toNanos: lastPacketNanos + elapsed) }
    }

    /// Ends every flow, writes the final records and stops the sinks after they drained (for up to
    /// `drainSeconds`); what they could not send stays in the spool for the next start.
    public func finish(drainSeconds: Double = 10) {
        analytics.finish()  // the workers end their flows, the merger writes the last records
        files?.close()
        for sink in sinks { sink.stop(drainSeconds: drainSeconds) }
        spool?.close()
    }

    /// Export figures for `status`.
    public func exportStatus() -> ExportStatus {
        ExportStatus(spool: spool?.stats(), sinks: sinks.map { $0.stats() })
    }
}

/// The export part of `status.json`.
public struct ExportStatus: Codable, Sendable, Hashable {
    public var spool: SpoolStats?
    public var sinks: [SinkStats]
}

/// The analytics part of `status.json`.
public struct AnalyticsStatus: Codable, Sendable, Hashable {
    public var flowsActive: Int
    public var flowsCreated: UInt64
    public var flowsEvicted: UInt64
    public var recordsEmitted: UInt64
    public var recordsDropped: UInt64
    /// The same, per record kind (`conn`, `service_state`...).
    public var recordsEmittedByKind: [String: UInt64]
    public var recordsDroppedByKind: [String: UInt64]
    /// Analytics threads.
    public var workers: Int
    /// Packets the workers analysed (received = analysed + shed, once the workers caught up).
    public var packetsAnalysed: UInt64
    /// Packets analytics did not account for (they were stored), per reason.
    public var shedRingFull: UInt64
    public var shedTooLarge: UInt64
    public var shedFlowBudget: UInt64
    /// Seconds the workers spent analysing, added up (their utilisation: its rate over `workers`).
    public var workersBusySeconds: Double

    /// As of the merger's last mark (about every 100 ms of packet time).
    public init(_ a: AgentAnalytics) {
        let s = a.analytics.snapshot
        flowsActive = Int(s.flows.activeFlows)
        flowsCreated = s.flows.flowsCreated
        flowsEvicted = s.flows.flowsEvicted
        recordsEmitted = s.emitter.emitted.reduce(0, +)
        recordsDropped = s.emitter.dropped.reduce(0, +)
        var emitted: [String: UInt64] = [:], dropped: [String: UInt64] = [:]
        for kind in RecordKind.allCases {
            emitted[kind.name] = s.emitter.emitted(kind)
            dropped[kind.name] = s.emitter.dropped(kind)
        }
        recordsEmittedByKind = emitted
        recordsDroppedByKind = dropped
        workers = a.analytics.workerCount
        packetsAnalysed = s.flows.packets
        let shed = a.analytics.shed
        shedRingFull = shed.ringFull
        shedTooLarge = shed.tooLarge
        shedFlowBudget = shed.flowBudget
        workersBusySeconds = a.analytics.workersBusySeconds
    }
}

extension PacketPipeline {
    /// The pipeline a configuration describes: prefilter, store, and analytics/export when enabled.
    /// `live`: see ``AgentAnalytics/init(config:layout:recordsDirectory:live:logger:)``.
    public static func open(config: AgentConfig, store: SegmentStore, live: Bool = false, logger: Logger) throws -> PacketPipeline {
        let analytics = config.analytics.enabled
            ? try AgentAnalytics(config: config, layout: store.layout, live: live, logger: logger) : nil
        do {
            let pipeline = try PacketPipeline(store: store, prefilter: config.capture.prefilter, analytics: analytics)
            if let analytics { PinWiring.connect(store: store, analytics: analytics) }
            pipeline.recorder = try Recorder(config: config, logger: logger)
            analytics?.healthCounters = { [unowned pipeline] in
                let s = pipeline.store.snapshot()
                return (pipeline.counters.packetsReceived, s.packetsNotStored, s.storeBytes)
            }
            return pipeline
        } catch {
            analytics?.finish(drainSeconds: 0)
            throw error
        }
    }
}

/// The sinks in use, read by the merger thread (`agent_health`) and replaced by the capture thread.
final class SinkList: Sendable {
    private let list: Mutex<[any ExportSink]>
    init(_ sinks: [any ExportSink]) { list = Mutex(sinks) }
    var current: [any ExportSink] { list.withLock { $0 } }
    func swap(_ new: [any ExportSink]) -> [any ExportSink] { list.withLock { s in defer { s = new }; return s } }
}
