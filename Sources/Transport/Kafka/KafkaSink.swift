import Foundation
import Logging

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

    private func run() {
        let reader = spool.reader(for: name)
        var window = DeliveryWindow(start: reader.position)
        var producer: KafkaProducer?
        let headersBase = [("vigie-schema", "1"), ("content-type", "application/json")]
        while true {
            let (requested, pastDeadline) = runState.stopping
            if requested && (pastDeadline || (window.isEmpty && spool.stats().pending[name] == 0)) { break }
            if producer == nil {
                do throws(ExportError) { producer = try KafkaProducer(properties: config.effectiveProperties, logger: logger) } catch {
                    note(error: error.description)
                    Thread.sleep(forTimeInterval: 1)
                    continue
                }
            }
            guard let kafka = producer else { continue }
            // Produce what the spool has, keeping librdkafka's queue bounded.
            if kafka.outstanding < 50_000 {
                for record in reader.next(limit: 2_000, waitSeconds: window.isEmpty ? 0.2 : 0) {
                    var headers = headersBase
                    headers.append(("vigie-kind", record.kind.name))
                    var sent = false
                    while !sent {
                        switch kafka.produce(topic: config.topic(for: record.kind), key: record.key, payload: record.payload,
                                             headers: headers, seq: record.seq) {
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
            kafka.poll(timeoutMs: window.isEmpty ? 0 : 20)
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
            runState.update {
                $0.delivered &+= delivered
                if delivered > 0 { $0.lastError = nil }
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
