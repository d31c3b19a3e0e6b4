/// Encodes records as one-line JSON objects (see `docs/records.md` for every field).
///
/// Every record starts with the envelope: `schema_version`, `kind`, `agent_id`, `epoch`, `seq`,
/// `ts` (packet time, RFC 3339 UTC with ns) and `agent_ts` (agent wall-clock time, same format).
/// Body members follow, flat, written by the analytics that own the records' contents (extensions
/// in `Analytics/Emit/`). Durations are integer microseconds (`_us`); members whose value was not
/// measured (or is empty) are omitted rather than written as null.
public struct RecordEncoder {
    /// Envelope values fixed for the process.
    public let agentID: String
    public let epoch: UInt64
    /// The writer holding the record being encoded (reused between records).
    public var writer = JSONWriter(capacity: 2048)

    public init(agentID: String, epoch: UInt64) {
        self.agentID = agentID
        self.epoch = epoch
    }

    /// Starts a record: resets the buffer and writes the envelope. Body members follow; finish
    /// with ``end()``.
    public mutating func begin(_ kind: RecordKind, seq: UInt64, ts: Int64, agentTs: Int64) {
        head(kind, seq: seq)
        writer.time(RecordField.ts.key, ts)
        writer.time(RecordField.agentTS.key, agentTs)
    }

    /// Starts a record **without** the head of its envelope (`schema_version` … `seq`): the bytes
    /// begin with `,"ts":`. The thread that numbers records prepends the head later
    /// (``head(_:seq:)``), so records can be encoded where they arise and numbered in one place.
    /// Finish with ``end()``.
    public mutating func beginTail(ts: Int64, agentTs: Int64) {
        writer.resumeObject()
        writer.time(RecordField.ts.key, ts)
        writer.time(RecordField.agentTS.key, agentTs)
    }

    /// Writes the head of a record's envelope, up to and including `seq`, into a reset buffer; the
    /// tail from ``beginTail(ts:agentTs:)`` completes it.
    public mutating func head(_ kind: RecordKind, seq: UInt64) {
        writer.reset()
        writer.beginObject()
        writer.field(RecordField.schemaVersion.key, RecordKind.schemaVersion)
        writer.field(RecordField.kind.key, kind.name)
        writer.field(RecordField.agentID.key, agentID)
        writer.field(RecordField.epoch.key, epoch)
        writer.field(RecordField.seq.key, seq)
    }

    /// Closes the record and its line; the bytes are in ``writer``.
    public mutating func end() {
        writer.endObject()
        writer.newline()
    }
}
