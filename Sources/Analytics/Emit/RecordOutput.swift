import Records

/// Where encoded records go. Called on the analytics thread; implementations must return quickly
/// (buffer, do not wait for the disk or the network).
public protocol RecordOutput: AnyObject {
    /// Takes one encoded record: one JSON object followed by `\n`, and its key (the service id,
    /// or the agent id for `agent_health`: the Kafka message key that keeps one service's records
    /// in order). Returns `false` when the record was dropped (buffer full, output closed); the
    /// emitter counts it.
    func write(_ line: [UInt8], kind: RecordKind, key: String) -> Bool
    /// Gives the output a chance to push buffered data (called on every packet-time clock tick).
    func flush()
}
