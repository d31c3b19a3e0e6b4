import Foundation
import Logging
import Records

/// Drains the spool into Kafka. Its thread reads records from the spool, produces them (the
/// family's topic, the service id as key, kind/schema headers), serves delivery reports, and
/// confirms to the spool only the prefix of records Kafka acknowledged. A failed delivery rewinds
/// the reader to the first unconfirmed record; a fatal producer error rebuilds the producer and
/// replays from there.
public final class KafkaSink: ExportSink, @unchecked Sendable {
    // @unchecked: shared state lives in `run` (locked); the producer belongs to the sink thread.
    public var name: String { config.name }
    public let config: KafkaSinkConfig
    private let spool: Spool
    private let logger: Logger
    private let runState: SinkRunState

    /// Checks the configuration by building a producer (no connection is made yet).
    public init(config: KafkaSinkConfig, spool: Spool, logger: Logger) throws(ExportError) {
        guard !config.bootstrapServers.isEmpty else {
            throw ExportError(.badConfig, context: "kafka.bootstrap_servers", "is required")
        }
        _ = try KafkaProducer(properties: config.effectiveProperties, logger: logger)
        self.config = config
        self.spool = spool
        self.logger = logger
        runState = SinkRunState(name: config.name)
    }

    public func start() { runState.start(name: "vigie-kafka") { [self] in run() } }

    public func stop(drainSeconds: Double) {
        spool.flush(timeout: drainSeconds)  // what was appended becomes readable, then drains
        runState.stop(drainSeconds: drainSeconds)
    }

    public func stats() -> SinkStats { runState.snapshot(pending: spool.stats().pending[name] ?? 0) }

    /// Most messages handed to librdkafka and not yet reported (queued, in flight, or reported but
    /// not yet served): bounds the client's memory, well under `queue.buffering.max.messages`.
    static let maxOutstanding = 50_000
    /// Most bytes of payload blocks (copies of the payloads librdkafka points into until reported;
    /// a block is held by its last unreported message, so a stalled partition holds more than its
    /// own messages): bounds memory when one partition stalls and the others keep delivering.
    static let maxBlockBytes = 128 << 20
    /// Records read from the spool at a time.
    static let readBatch = 5_000

    private static func hasRoom(_ kafka: KafkaProducer) -> Bool {
        kafka.outstanding < maxOutstanding && kafka.blockBytes < maxBlockBytes
    }

    private func run() {
        let reader = spool.reader(for: name)
        var window = DeliveryWindow(start: reader.position)
        var producer: KafkaProducer?
        // Per kind, built once: the topic and the header list each message gets a copy of.
        let topics = RecordKind.allCases.map { config.topic(for: $0) }
        let headerTemplates = RecordKind.allCases.map {
            KafkaProducer.HeaderList([("vigie-schema", "1"), ("content-type", "application/json"), ("vigie-kind", $0.name)])
        }
        while true {
            let (requested, pastDeadline) = runState.stopping
            if requested && (pastDeadline || (window.isEmpty && spool.stats().pending[name] == 0)) { break }
            if producer == nil {
                do throws(ExportError) {
                    producer = try KafkaProducer(properties: config.effectiveProperties, logger: logger, payloadBlocks: true)
                } catch {
                    note(error: error.description)
                    Thread.sleep(forTimeInterval: 1)
                    continue
                }
            }
            guard let kafka = producer else { continue }
            // Produce what the spool has, keeping librdkafka's queue bounded.
            var read = 0
            if Self.hasRoom(kafka) {
                let topicHandles = topics.map { kafka.topic(named: $0) }
                // Straight from the reader's buffer into the producer's payload blocks.
                read = reader.forEachNext(limit: Self.readBatch, waitSeconds: window.isEmpty ? 0.2 : 0) { record in
                    var sent = false
                    while !sent {
                        switch kafka.produce(topic: topicHandles[record.kind.index], key: record.key, payload: record.payload,
                                             headers: headerTemplates[record.kind.index], seq: record.seq) {
                        case .queued: sent = true
                        case .queueFull: kafka.poll(timeoutMs: 50)
                        case .failed(let why):
                            note(error: why)
                            kafka.poll(timeoutMs: 100)
                        }
                    }
                    window.sent(record.seq)
                }
            }
            // Wait for reports only when there is nothing to send: the spool is drained, or the
            // queue is at its bound. While records remain, serve what has come in and read on
            // (waiting here each round capped the sink at one read batch per wait).
            let busy = read > 0 && Self.hasRoom(kafka)
            kafka.poll(timeoutMs: window.isEmpty || busy ? 0 : 20)
            // Delivery reports.
            var failedFrom: UInt64?
            var delivered: UInt64 = 0
            for report in kafka.reports.delivered {
                if let error = report.error {
                    if window.contains(report.seq) { failedFrom = min(failedFrom ?? .max, report.seq) }
                    note(error: error)
                } else if window.confirm(report.seq) {
                    delivered += 1
                }
            }
            kafka.reports.delivered.removeAll(keepingCapacity: true)
            if let confirmed = window.advance() { spool.acknowledge(sink: name, upTo: confirmed) }
            if delivered > 0 {
                runState.delivered(delivered)
            }
            if let fatal = kafka.reports.fatalError {
                logger.error("Kafka producer fatal error; rebuilding it and replaying from the spool",
                             metadata: ["sink": "\(name)", "error": "\(fatal)"])
                note(error: fatal)
                producer = nil  // destroys the handle; undelivered messages are replayed below
                failedFrom = window.firstUnconfirmed ?? failedFrom
            }
            if let from = failedFrom {
                let resent = window.rewind(to: from)
                reader.rewind(to: from)
                runState.update { $0.retried &+= resent }
            }
        }
        producer?.flush(timeoutMs: 1000)
    }

    private func note(error: String) {
        if runState.note(error: error) { logger.warning("Kafka delivery problem; records stay spooled", metadata: ["sink": "\(name)", "error": "\(error)"]) }
    }
}
