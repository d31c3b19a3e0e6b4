import Records
import Synchronization

/// The one place records are numbered and handed to the output. Record bodies are encoded on the
/// threads where they arise (the analytics workers encode `conn` and `txn`, the merger the rest),
/// without the head of their envelope; here, under one lock per record, each gets the next `seq`,
/// its head (a per-kind prefix computed once, then the digits of `seq`) and goes to the output.
/// So `seq` follows the output's order with any number of threads, the output sees one writer at
/// a time, and the counts of emitted and dropped records are exact.
public final class SequencedRecordWriter: @unchecked Sendable {
    // @unchecked: `output` and `state` are only touched under `lock`.
    private struct State {
        var lastSeq: UInt64 = 0
        var emitted = [UInt64](repeating: 0, count: RecordKind.allCases.count)
        var dropped = [UInt64](repeating: 0, count: RecordKind.allCases.count)
        var line: [UInt8] = []
    }

    private let lock = Mutex(())
    private var state = State()
    private let output: any RecordOutput
    /// `{"schema_version":…,"kind":"…","agent_id":"…","epoch":…,"seq":` per kind.
    private let heads: [[UInt8]]

    public init(output: any RecordOutput, agentID: String, epoch: UInt64) {
        self.output = output
        var encoder = RecordEncoder(agentID: agentID, epoch: epoch)
        heads = RecordKind.allCases.map { kind in
            encoder.head(kind, seq: 0)
            return Array(encoder.writer.bytes.dropLast())  // drop the "0": the digits come per record
        }
        state.line.reserveCapacity(4096)
    }

    /// Numbers a record whose `tail` (from `,"ts":` to the line feed) was encoded with
    /// ``RecordEncoder/beginTail(ts:agentTs:)`` and writes it. False when the output refused it.
    @discardableResult
    public func write(tail: UnsafeRawBufferPointer, kind: RecordKind, key: String) -> Bool {
        lock.withLock { _ in
            state.lastSeq += 1
            state.line.removeAll(keepingCapacity: true)
            state.line.append(contentsOf: heads[kind.index])
            Self.appendDigits(state.lastSeq, to: &state.line)
            state.line.append(contentsOf: tail)
            let accepted = output.write(state.line, kind: kind, key: key)
            if accepted { state.emitted[kind.index] += 1 } else { state.dropped[kind.index] += 1 }
            return accepted
        }
    }

    @discardableResult
    public func write(tail: [UInt8], kind: RecordKind, key: String) -> Bool {
        tail.withUnsafeBytes { write(tail: $0, kind: kind, key: key) }
    }

    /// Gives the output its chance to push buffered data.
    public func flush() { lock.withLock { _ in output.flush() } }

    /// The last `seq` assigned (0 before the first record).
    public var lastSeq: UInt64 { lock.withLock { _ in state.lastSeq } }

    /// Records accepted and refused by the output, per kind (indexed like `RecordKind.allCases`).
    public var counts: (emitted: [UInt64], dropped: [UInt64]) { lock.withLock { _ in (state.emitted, state.dropped) } }

    private static func appendDigits(_ value: UInt64, to bytes: inout [UInt8]) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - n] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                n += 1
            } while v > 0 && n < 20
            bytes.append(contentsOf: buffer[(20 - n)...])
        }
    }
}
