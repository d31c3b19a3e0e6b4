import Analytics
import Transport
import Records

/// Hands encoded records to the spool (and so to the Kafka / HTTP sinks). Never blocks: a full
/// spool refuses the lowest-priority kinds first and the emitter counts the drop.
final class SpoolRecordOutput: RecordOutput {
    let spool: Spool

    init(spool: Spool) { self.spool = spool }

    func write(_ line: [UInt8], kind: RecordKind, key: String) -> Bool {
        // The spool stores one JSON object per record: the newline is the HTTP batch's framing.
        let length = line.last == 0x0A ? line.count - 1 : line.count
        return line.withUnsafeBytes { raw in
            spool.append(kind: kind, key: Array(key.utf8), payload: UnsafeRawBufferPointer(rebasing: raw[0..<length]))
        }
    }

    func flush() {}  // the spool's flusher thread writes on its own interval
}

/// Sends every record to several outputs (record files and spool); it is accepted if one took it.
final class FanOutRecordOutput: RecordOutput {
    let outputs: [any RecordOutput]

    init(_ outputs: [any RecordOutput]) { self.outputs = outputs }

    func write(_ line: [UInt8], kind: RecordKind, key: String) -> Bool {
        var accepted = false
        for output in outputs where output.write(line, kind: kind, key: key) { accepted = true }
        return accepted
    }

    func flush() { for output in outputs { output.flush() } }
}

/// Discards records (analytics on, but neither record files nor sinks configured).
final class NullRecordOutput: RecordOutput {
    func write(_ line: [UInt8], kind: RecordKind, key: String) -> Bool { true }
    func flush() {}
}
