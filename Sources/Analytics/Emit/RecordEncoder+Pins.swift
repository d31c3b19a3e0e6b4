import Records

/// Body of the `pin` record (docs/records.md, docs/pins.md).
extension RecordEncoder {
    /// `action` is created, extended, released or evicted; `from`/`to` packet-time nanoseconds.
    public mutating func pin(action: String, id: String, from: Int64, to: Int64, reason: String, service: String?,
                             state: String?, origin: String) {
        writer.field("action", action)
        writer.field("id", id)
        writer.time("from", from)
        writer.time("to", to)
        writer.field("reason", reason)
        if let service { writer.field("service", service) }
        if let state { writer.field("state", state) }
        writer.field("origin", origin)
    }
}

/// Writes `pin` records from the thread that owns the pins (the agent's capture thread), numbered
/// with the emitter's other records by its ``SequencedRecordWriter``. Not thread-safe: one owner.
public final class PinRecordWriter {
    private let writer: SequencedRecordWriter
    private var encoder: RecordEncoder
    private let agentClock: () -> Int64

    public init(emitter: RecordEmitter, agentClock: @escaping () -> Int64 = RecordEmitterConfig.wallClockNanos) {
        writer = emitter.writer
        encoder = RecordEncoder(agentID: emitter.config.agentID, epoch: emitter.config.epoch)
        self.agentClock = agentClock
    }

    /// One `pin` record; `ts` is the agent's wall time of the change. False when the output refused it.
    @discardableResult
    public func write(action: String, id: String, from: Int64, to: Int64, reason: String, service: String?, state: String?,
                      origin: String) -> Bool {
        let now = agentClock()
        encoder.beginTail(ts: now, agentTs: now)
        encoder.pin(action: action, id: id, from: from, to: to, reason: reason, service: service, state: state, origin: origin)
        encoder.end()
        return writer.write(tail: encoder.writer.bytes, kind: .pin, key: id)
    }
}
