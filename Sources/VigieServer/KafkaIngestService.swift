import Correlation
import Transport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import SystemIO

/// Consumes the agents' record topics as a member of a Kafka consumer group and applies them to
/// the correlator. Offsets are committed only after the records are applied, so a restart (or a
/// rebalance to another server instance) replays what was not applied; the correlator drops the
/// duplicates by `(agent_id, epoch, seq)` per partition (with PostgreSQL, the marks are shared by
/// the instances). librdkafka's blocking poll runs on its own thread.
struct KafkaIngestService: Service {
    let correlator: Correlator
    let progress: KafkaIngestProgress
    let bootstrapServers: String
    let groupID: String
    let topics: [String]
    let properties: [String: String]
    let logger: Logger

    /// The agents' default topics: every kind's (`vigie.` + kind).
    static let defaultTopics = RecordKind.allCases.map(\.defaultTopic)

    func run() async throws {
        let stop = StopFlag()
        let (logger, correlator, bootstrap, group, topics, properties, progress) =
            (logger, correlator, bootstrapServers, groupID, topics, properties, progress)
        // Stopped by a graceful shutdown, and by a cancelled group too (the thread sees neither).
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                // The consumer is created, used and closed on this one thread.
                try await onOwnThread(named: "vigie-kafka-ingest") {
                    let consumer = try KafkaConsumer(bootstrapServers: bootstrap, groupID: group, topics: topics,
                                                     properties: properties, logger: logger)
                    defer { consumer.close() }
                    defer { progress.update { $0.joined = false; $0.partitions = 0 } }
                    try Self.consume(consumer, correlator: correlator, stop: stop, progress: progress, logger: logger)
                }
            } onGracefulShutdown: {
                stop.set()
            }
        } onCancel: {
            stop.set()
        }
    }

    /// Polls batches (up to 500 messages or 200 ms), applies each partition's messages with that
    /// partition as dedup scope, then commits the partition's last offset once they are stored. A
    /// partition whose batch could not be stored (nothing of it applied) is rewound to the batch's
    /// first message and read again after a backoff, polling all along: the group keeps this member,
    /// and if a rebalance moves the partition, its new owner starts from the committed offset
    /// instead of both applying the same messages.
    static func consume(_ consumer: KafkaConsumer, correlator: Correlator, stop: StopFlag, progress: KafkaIngestProgress,
                        logger: Logger) throws(ExportError) {
        logger.notice("Kafka ingest started")
        var backoff: [String: Double] = [:]
        /// Messages polled during a backoff: the start of the next batch.
        var carried: [KafkaConsumer.Message] = []
        while !stop.isSet {
            var batch = carried
            carried = []
            let deadline = Date().addingTimeInterval(0.2)
            while batch.count < 500 && Date() < deadline && !stop.isSet {
                if let m = consumer.poll(timeoutMs: 50) { batch.append(m) }
            }
            let membership = consumer.membership()
            progress.update { $0.joined = membership.joined; $0.partitions = membership.partitions }
            guard !batch.isEmpty else { continue }
            var byPartition: [String: [KafkaConsumer.Message]] = [:]
            var order: [String] = []
            for m in batch {
                let scope = Correlator.kafkaScope(topic: m.topic, partition: m.partition)
                if byPartition[scope] == nil { order.append(scope) }
                byPartition[scope, default: []].append(m)
            }
            var wait = 0.0
            for scope in order {
                guard let messages = byPartition[scope], let first = messages.first, let last = messages.last else { continue }
                // One record per message: handed over as they are (message k is line k + 1).
                let result = correlator.ingest(payloads: messages.map(\.payload), scope: scope)
                if result.refused {
                    let delay = min((backoff[scope] ?? 0.1) * 2, 5)
                    backoff[scope] = delay
                    wait = max(wait, delay)
                    logger.error("Kafka records not applied: storage failed; the partition is read again from the batch's first offset",
                                 metadata: ["scope": "\(scope)", "offset": "\(first.offset)", "error": "\(result.storageError ?? "")",
                                            "retry_in_s": "\(delay)"])
                    progress.update { $0.rewinds += 1 }
                    try rewind(consumer, to: first, logger: logger)
                    continue
                }
                backoff[scope] = nil
                progress.update { $0.batches += 1 }
                if result.errorCount > 0 {
                    logger.warning("malformed records from Kafka skipped", metadata: ["count": "\(result.errorCount)", "scope": "\(scope)"])
                }
                do { try consumer.commit(last) } catch {
                    // Not fatal: the records are stored; a replay after a restart is deduplicated.
                    logger.warning("Kafka offset commit failed", metadata: ["error": "\(error)"])
                }
            }
            // The backoff, polling on: librdkafka serves the group's heartbeats and rebalances.
            // What arrives meanwhile (the rewound partition from its batch's start, others on)
            // is kept for the next batch.
            let resume = Date().addingTimeInterval(wait)
            while Date() < resume && !stop.isSet && carried.count < 500 {
                if let m = consumer.poll(timeoutMs: 50) { carried.append(m) }
            }
        }
    }

    /// Rewinds the partition of `first`, retrying a few times (a seek waits for the fetcher, which
    /// a broker outage can hold up). Still failing, the error ends Kafka ingest — and the server,
    /// whose restart reads from the committed offsets: going on would skip the batch.
    static func rewind(_ consumer: KafkaConsumer, to first: KafkaConsumer.Message, logger: Logger) throws(ExportError) {
        var attempt = 1
        while true {
            do throws(ExportError) {
                try consumer.rewind(to: first)
                return
            } catch {
                // Revoked meanwhile (a rebalance): its new owner reads it from the committed offset,
                // which is before this batch (not committed): nothing to rewind, nothing skipped.
                if !consumer.isAssigned(topic: first.topic, partition: first.partition) {
                    logger.info("Kafka partition revoked before its rewind; its new owner reads it from the committed offset",
                                metadata: ["topic": "\(first.topic)", "partition": "\(first.partition)"])
                    return
                }
                guard attempt < 5 else {
                    logger.critical("cannot rewind a Kafka partition; stopping", metadata: ["error": "\(error)"])
                    throw error
                }
                logger.warning("Kafka partition rewind failed; retrying", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                attempt += 1
                Thread.sleep(forTimeInterval: 1)
            }
        }
    }
}

/// What the Kafka ingest thread reports to `/metrics` and `/readyz`.
final class KafkaIngestProgress: Sendable {
    struct Figures {
        var joined = false
        var partitions = 0
        var batches: UInt64 = 0
        var rewinds: UInt64 = 0
    }

    private let figures = Mutex(Figures())

    func update(_ body: (inout Figures) -> Void) { figures.withLock { body(&$0) } }

    var snapshot: Figures { figures.withLock { $0 } }
}
