import CRdKafka

/// librdkafka's built-in mock Kafka cluster (`rdkafka_mock.h`): real Kafka-protocol brokers on
/// loopback TCP ports, for tests and demos. Any Kafka client (kcat, the agent's producer, the
/// server's consumer) talks to it through ``bootstrapServers``.
public final class KafkaMockCluster {
    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    /// Number of brokers (ids 1...brokerCount).
    public let brokerCount: Int

    /// Starts `brokers` mock brokers.
    public init(brokers: Int = 1) throws(ExportError) {
        guard let conf = rd_kafka_conf_new() else { throw ExportError(.kafka, context: "mock", "cannot allocate configuration") }
        var errstr = [CChar](repeating: 0, count: 512)
        // The handle only hosts the cluster: silence its "no bootstrap.servers" notice.
        _ = rd_kafka_conf_set(conf, "log_level", "4", &errstr, errstr.count)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw ExportError(.kafka, context: "mock", String(cString: errstr))
        }
        guard let mc = rd_kafka_mock_cluster_new(rk, Int32(brokers)) else {
            rd_kafka_destroy(rk)
            throw ExportError(.kafka, context: "mock", "cannot create the mock cluster")
        }
        owner = rk
        cluster = mc
        brokerCount = brokers
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }

    /// `host:port,host:port` of the brokers.
    public var bootstrapServers: String { String(cString: rd_kafka_mock_cluster_bootstraps(cluster)) }

    /// Creates a topic (topics are otherwise auto-created on first use).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(ExportError) {
        let err = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw ExportError(.kafka, context: name, String(cString: rd_kafka_err2str(err)))
        }
    }

    /// Takes every broker down (connections closed, new ones refused: an outage) or back up.
    /// The brokers keep their logs, as a restarted real broker would.
    public func setBrokersUp(_ up: Bool) {
        for id in 1...max(brokerCount, 1) {
            _ = up ? rd_kafka_mock_broker_set_up(cluster, Int32(id)) : rd_kafka_mock_broker_set_down(cluster, Int32(id))
        }
    }
}
