import Logging

/// A Kafka producer for messages that do not come from the spool (the server's stream of state
/// changes): no replay, a message whose delivery fails is reported and counted by the caller.
/// Not thread-safe: create it, produce, poll and flush on one thread (librdkafka calls block).
public final class KafkaMessageProducer {
    private let producer: KafkaProducer
    private var nextID: UInt64 = 0

    /// Applied before the caller's properties: `acks=all`, 5 ms batching, and a 30 s delivery
    /// timeout (an event older than that is stale; it is failed and counted, not kept).
    public static let defaults: [String: String] = [
        "acks": "all",
        "linger.ms": "5",
        "message.timeout.ms": "30000",
        "queue.buffering.max.messages": "100000",
        "socket.keepalive.enable": "true",
    ]

    /// Builds the producer (no connection is made yet). `properties` are librdkafka's, overriding
    /// ``defaults``; `bootstrapServers` must not be empty.
    public init(bootstrapServers: String, clientID: String, properties: [String: String] = [:], logger: Logger) throws(ExportError) {
        guard !bootstrapServers.isEmpty else { throw ExportError(.badConfig, context: "bootstrap_servers", "is required") }
        var all = Self.defaults
        all["bootstrap.servers"] = bootstrapServers
        all["client.id"] = clientID
        for (k, v) in properties { all[k] = v }
        producer = try KafkaProducer(properties: all, logger: logger)
    }

    /// Outcome of ``produce(topic:key:payload:headers:)``.
    public enum Outcome: Sendable, Equatable {
        /// Queued; its delivery report comes back from a later ``poll(timeoutMs:)``.
        case queued
        /// librdkafka's local queue is full: poll, then try again (or give up).
        case queueFull
        /// Refused at once (unknown topic, message too large, …).
        case failed(String)
    }

    /// Queues one message.
    public func produce(topic: String, key: [UInt8], payload: [UInt8], headers: [(String, String)] = []) -> Outcome {
        nextID &+= 1
        switch producer.produce(topic: topic, key: key, payload: payload, headers: headers, seq: nextID) {
        case .queued: return .queued
        case .queueFull: return .queueFull
        case .failed(let why): return .failed(why)
        }
    }

    /// Delivery outcomes served since the last call.
    public struct Deliveries: Sendable, Equatable {
        public var delivered = 0
        /// The error of each failed message.
        public var failures: [String] = []
    }

    /// Serves delivery reports for up to `timeoutMs` and returns them.
    public func poll(timeoutMs: Int32) -> Deliveries {
        producer.poll(timeoutMs: timeoutMs)
        return takeReports()
    }

    /// Waits up to `timeoutMs` for every queued message to be delivered or failed; returns the reports.
    public func flush(timeoutMs: Int32) -> Deliveries {
        producer.flush(timeoutMs: timeoutMs)
        return takeReports()
    }

    /// Messages queued or in flight.
    public var outstanding: Int { producer.outstanding }

    private func takeReports() -> Deliveries {
        var out = Deliveries()
        for report in producer.reports.delivered {
            if let error = report.error { out.failures.append(error) } else { out.delivered += 1 }
        }
        producer.reports.delivered.removeAll(keepingCapacity: true)
        return out
    }
}
