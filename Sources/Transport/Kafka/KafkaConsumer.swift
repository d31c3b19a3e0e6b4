import CRdKafka
import Logging

/// A Kafka consumer-group member over librdkafka (owns its `rd_kafka_t`), for the correlation
/// server's ingest. Offsets are committed only by ``commit(_:)``, after the caller applied the
/// record, so a restart replays what was not applied (duplicates are removed downstream).
/// Not thread-safe: one thread polls and commits.
public final class KafkaConsumer {
    /// One message read from a topic.
    public struct Message: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var offset: Int64
        public var key: [UInt8]
        public var payload: [UInt8]
    }

    private let handle: OpaquePointer
    private let logger: Logger
    private var closed = false

    /// Joins `groupID` and subscribes to `topics`. `properties` (librdkafka names) override the
    /// defaults: no auto-commit, start from the earliest offset when the group has none.
    public init(bootstrapServers: String, groupID: String, topics: [String], properties: [String: String] = [:],
                logger: Logger) throws(ExportError) {
        self.logger = logger
        guard !topics.isEmpty else { throw ExportError(.badConfig, context: "kafka.topics", "at least one topic is needed") }
        var all: [String: String] = [
            "bootstrap.servers": bootstrapServers, "group.id": groupID,
            "enable.auto.commit": "false", "auto.offset.reset": "earliest", "enable.partition.eof": "false",
            "client.id": "vigie-server", "log_level": "4",
        ]
        for (k, v) in properties { all[k] = v }
        guard let conf = rd_kafka_conf_new() else { throw ExportError(.kafka, context: "", "cannot allocate configuration") }
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in all.sorted(by: { $0.key < $1.key }) where rd_kafka_conf_set(conf, name, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
            rd_kafka_conf_destroy(conf)
            throw ExportError(.badConfig, context: "kafka.properties.\(name)", String(cString: errstr))
        }
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw ExportError(.badConfig, context: "kafka", String(cString: errstr))
        }
        handle = rk
        rd_kafka_poll_set_consumer(rk)
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let err = rd_kafka_subscribe(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            rd_kafka_destroy(rk)
            throw ExportError(.kafka, context: topics.joined(separator: ","), String(cString: rd_kafka_err2str(err)))
        }
    }

    deinit {
        close()
        rd_kafka_destroy(handle)
    }

    /// The group's state for this member: whether it has joined (librdkafka knows its member id),
    /// and how many partitions it holds now (a member of a group larger than the topic's partition
    /// count may legitimately hold none).
    public func membership() -> (joined: Bool, partitions: Int) {
        var joined = false
        if let id = rd_kafka_memberid(handle) {
            joined = id.pointee != 0
            rd_kafka_mem_free(handle, id)
        }
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return (joined, 0) }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return (joined, Int(list.pointee.cnt))
    }

    /// Whether `topic`/`partition` is in this member's assignment now (a rebalance may have moved it).
    public func isAssigned(topic: String, partition: Int32) -> Bool {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return false }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for k in 0 ..< Int(list.pointee.cnt) {
            let e = list.pointee.elems[k]
            if e.partition == partition, let t = e.topic, String(cString: t) == topic { return true }
        }
        return false
    }

    /// The next message, or nil when none came within `timeoutMs`. Transient errors (broker down)
    /// are logged and yield nil; librdkafka keeps reconnecting.
    public func poll(timeoutMs: Int32) -> Message? {
        guard !closed, let m = rd_kafka_consumer_poll(handle, timeoutMs) else { return nil }
        defer { rd_kafka_message_destroy(m) }
        let msg = m.pointee
        guard msg.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            if msg.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                logger.warning("Kafka consumer error", metadata: ["error": "\(String(cString: rd_kafka_err2str(msg.err)))"])
            }
            return nil
        }
        let topic = msg.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let payload = msg.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.len)) } ?? []
        let key = msg.key.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.key_len)) } ?? []
        return Message(topic: topic, partition: msg.partition, offset: msg.offset, key: key, payload: payload)
    }

    /// Commits `message` as processed (its partition resumes after it), synchronously.
    public func commit(_ message: Message) throws(ExportError) {
        let list = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard let entry = rd_kafka_topic_partition_list_add(list, message.topic, message.partition) else { return }
        entry.pointee.offset = message.offset + 1
        let err = rd_kafka_commit(handle, list, 0)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw ExportError(.kafka, context: message.topic, "commit failed: \(String(cString: rd_kafka_err2str(err)))",
                              retriable: true)
        }
    }

    /// Makes `message`'s partition deliver again from `message` on: its batch could not be applied,
    /// so nothing after it may be either. Messages of that partition already fetched are dropped
    /// and fetched again; polling goes on, so a rebalance can still move the partition elsewhere
    /// (its new owner starts from the committed offset).
    public func rewind(to message: Message) throws(ExportError) {
        let list = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard let entry = rd_kafka_topic_partition_list_add(list, message.topic, message.partition) else {
            throw ExportError(.kafka, context: message.topic, "cannot allocate a partition list", retriable: true)
        }
        entry.pointee.offset = message.offset
        if let error = rd_kafka_seek_partitions(handle, list, 5000) {
            let text = String(cString: rd_kafka_error_string(error))
            rd_kafka_error_destroy(error)
            throw ExportError(.kafka, context: "\(message.topic)/\(message.partition)", "seek failed: \(text)", retriable: true)
        }
        let err = entry.pointee.err
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw ExportError(.kafka, context: "\(message.topic)/\(message.partition)", "seek failed: \(String(cString: rd_kafka_err2str(err)))",
                              retriable: true)
        }
    }

    /// Leaves the group (its partitions go to the other members). Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        _ = rd_kafka_consumer_close(handle)
    }
}
