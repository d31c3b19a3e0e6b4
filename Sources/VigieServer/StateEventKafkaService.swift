import Correlation
import Transport
import Foundation
import Logging
import ServerHTTP
import ServiceLifecycle
import SystemIO

/// Produces every state change of the correlator to a Kafka topic (`--events-kafka-topic`), as the
/// same JSON as the Server-Sent Events' data (key: the node id). Never slows ingest: changes go
/// through a bounded queue (the oldest are dropped and counted beyond it) to a producer thread;
/// delivery failures are logged and counted, not retried beyond librdkafka's own 30 s.
///
/// In the ServiceGroup it comes before the HTTP API and the Kafka ingest, so it is shut down after
/// them and sends the changes their last batches caused, then flushes (at most 5 s).
struct StateEventKafkaService: Service {
    let correlator: Correlator
    let topic: String
    let bootstrapServers: String
    let stats: StateEventKafkaStats
    let logger: Logger
    private let subscription: UUID
    private let events: AsyncStream<StateChangeEvent>

    /// Checks the producer configuration and subscribes at once, so that no change is missed
    /// between start-up and ``run()``.
    init(correlator: Correlator, bootstrapServers: String, topic: String, stats: StateEventKafkaStats, logger: Logger) throws {
        _ = try KafkaMessageProducer(bootstrapServers: bootstrapServers, clientID: "vigie-server", logger: logger)
        self.correlator = correlator
        self.bootstrapServers = bootstrapServers
        self.topic = topic
        self.stats = stats
        self.logger = logger
        (subscription, events) = correlator.subscribe()
    }

    func run() async throws {
        let queue = StateEventQueue(capacity: 10_000, stats: stats)
        let (bootstrap, topic, stats, logger) = (bootstrapServers, topic, stats, logger)
        let producing = Task {
            // The producer is created, used and destroyed on this one thread (`produce` does not throw).
            try? await onOwnThread(named: "vigie-events-kafka") {
                Self.produce(from: queue, bootstrap: bootstrap, topic: topic, stats: stats, logger: logger)
            }
        }
        let events = events
        let pump = Task {
            for await e in events { queue.push(StateEventQueue.Message(key: Array(e.node.utf8), payload: StateChangeJSON.encode(e))) }
        }
        logger.notice("state changes produced to Kafka", metadata: ["topic": "\(topic)", "bootstrap": "\(bootstrap)"])
        try? await gracefulShutdown()
        correlator.unsubscribe(subscription)  // ends the stream (if the ticker has not already) after what it holds
        await pump.value
        queue.close()
        await producing.value
    }

    /// The producer thread: takes the queued changes, produces them, serves delivery reports;
    /// once the queue is closed and empty, flushes.
    static func produce(from queue: StateEventQueue, bootstrap: String, topic: String, stats: StateEventKafkaStats, logger: Logger) {
        let producer: KafkaMessageProducer
        do { producer = try KafkaMessageProducer(bootstrapServers: bootstrap, clientID: "vigie-server", logger: logger) } catch {
            logger.error("Kafka producer for state changes cannot be created", metadata: ["error": "\(error)"])
            while let batch = queue.take(max: 1000, waitSeconds: 1) { for _ in batch { stats.failed("no producer: \(error)", logger) } }
            return
        }
        let headers = [("content-type", "application/json"), ("vigie-kind", "state_change"), ("vigie-schema", "1")]
        func record(_ d: KafkaMessageProducer.Deliveries) {
            stats.delivered(d.delivered)
            for f in d.failures { stats.failed(f, logger) }
        }
        while let batch = queue.take(max: 500, waitSeconds: 0.1) {
            for message in batch {
                var full = 0
                sending: while true {
                    switch producer.produce(topic: topic, key: message.key, payload: message.payload, headers: headers) {
                    case .queued:
                        stats.produced()
                        break sending
                    case .queueFull where full < 100:
                        full += 1
                        record(producer.poll(timeoutMs: 50))
                    case .queueFull:
                        stats.failed("librdkafka queue full for 5 s", logger)
                        break sending
                    case .failed(let why):
                        stats.failed(why, logger)
                        break sending
                    }
                }
            }
            record(producer.poll(timeoutMs: 0))
        }
        record(producer.flush(timeoutMs: 5000))
        for _ in 0..<producer.outstanding { stats.failed("not delivered within 5 s of shutdown", logger) }
    }
}
