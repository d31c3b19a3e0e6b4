/// The envelope every record carries (docs/records.md).
public struct Envelope: Sendable, Hashable {
    public var schemaVersion: Int
    public var kind: String
    public var agentID: String
    public var epoch: Int64
    public var seq: Int64
    /// Packet time of the fact, seconds since 1970.
    public var ts: Double
    public var tsText: String
    public var agentTS: String
}

public struct ServiceStateRecord: Sendable, Hashable {
    public var service: String
    public var state: AgentServiceState
    public var previousState: String?
    public var reason: String?
    public var app: String?
    public var errorRate: Double?
}

public struct EdgeRecord: Sendable, Hashable {
    public var client: String
    public var service: String
    public var app: String?
    public var attempts: Int64
    public var transactions: Int64
    public var failures: Int64
    /// The interval's full figures, for the server's metric history; nil when the record has no
    /// `interval_start`/`interval_end` (it still counts as a dependency observation).
    public var window: EdgeWindow? = nil
}

/// One `edge` record's interval: when, and its counters and latency histograms (docs/records.md).
public struct EdgeWindow: Sendable, Hashable {
    /// Packet time, seconds since 1970.
    public var start: Double
    public var end: Double
    public var sums = EdgeSums()

    public init(start: Double, end: Double) { self.start = start; self.end = end }
}

public struct ServiceSeenRecord: Sendable, Hashable {
    public var service: String
    public var app: String?
    public var firstSeen: String?
}

/// A `pin` record (docs/pins.md): an agent's pin created, extended, released or evicted.
public struct PinRecord: Sendable, Hashable {
    public enum Action: String, Sendable { case created, extended, released, evicted }
    public var action: Action
    public var id: String
    /// The pinned packet-time range (seconds since 1970), inclusive.
    public var from: Double
    public var to: Double
    public var reason: String?
    public var service: String?
    public var state: String?
    public var origin: String?

    public init(action: Action, id: String, from: Double, to: Double, reason: String?, service: String?, state: String?, origin: String?) {
        self.action = action; self.id = id; self.from = from; self.to = to; self.reason = reason; self.service = service
        self.state = state; self.origin = origin
    }
}

/// Kinds the server understands, as parsed.
public enum RecordBody: Sendable, Hashable {
    case serviceState(ServiceStateRecord)
    case edge(EdgeRecord)
    case serviceSeen(ServiceSeenRecord)
    /// `agent_health`: the line as received (cumulative counters).
    case agentHealth(String)
    /// `conn` / `txn`: service id and the line as received (kept for drill-down).
    case flow(service: String?, line: String)
    case pin(PinRecord)
    /// A kind this server does not know: counted, not an error.
    case unknown
}

public struct IngestRecord: Sendable, Hashable {
    public var envelope: Envelope
    public var body: RecordBody
    /// 1-based line number in its batch.
    public var line: Int
}

/// A malformed line: its 1-based number and what is wrong.
public struct LineError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public init(line: Int, _ message: String) { self.line = line; self.message = message }
    public var description: String { "line \(line): \(message)" }
}

/// NDJSON parsing and envelope validation of agent records.
///
/// Each line is checked by `JSONLineScanner` (a validating scanner over the raw bytes, no
/// Foundation objects); only the values the server uses become Swift values. The outcome — records,
/// error lines and messages — is the one `JSONSerialization` would give (`RecordParserTests` compares
/// them): a line that is not a JSON object is "not a JSON object"; a number field accepts what
/// `NSNumber.doubleValue` makes an exact integer (`1`, `1.0`, `1e3`, `true`).
public enum RecordParser {
    /// The record layout this server reads (the agent's ``RecordKind/schemaVersion``).
    public static let supportedSchemaVersion = RecordKind.schemaVersion

    /// Malformed lines reported in full by default (the rest are only counted).
    public static let defaultMaxErrors = 50
    /// Longest record line by default (bytes, without its newline).
    public static let defaultMaxLineBytes = 64 * 1024

    /// A parsed batch: its records, the first `maxErrors` malformed lines in line order, and how
    /// many lines were malformed in all.
    public struct Batch: Sendable {
        public var records: [IngestRecord] = []
        public var errors: [LineError] = []
        public var errorCount = 0
    }

    /// Parses a batch: one record per non-empty line. Bad lines are returned, not fatal.
    public static func parse(batch bytes: some Collection<UInt8>) -> (records: [IngestRecord], errors: [LineError]) {
        let b = parse(batch: bytes, maxErrors: Int.max, maxLineBytes: Int.max)
        return (b.records, b.errors)
    }

    /// Parses a batch held in memory.
    public static func parse(batch bytes: UnsafeRawBufferPointer) -> (records: [IngestRecord], errors: [LineError]) {
        let b = parse(batch: bytes, maxErrors: Int.max, maxLineBytes: Int.max)
        return (b.records, b.errors)
    }

    /// Parses a batch keeping at most `maxErrors` error entries (the others are counted in
    /// ``Batch/errorCount``: memory does not grow with the number of malformed lines); a line
    /// longer than `maxLineBytes` is an error, not parsed.
    public static func parse(batch bytes: some Collection<UInt8>, maxErrors: Int, maxLineBytes: Int) -> Batch {
        if let result = bytes.withContiguousStorageIfAvailable({ parse(batch: UnsafeRawBufferPointer($0), maxErrors: maxErrors, maxLineBytes: maxLineBytes) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { parse(batch: $0, maxErrors: maxErrors, maxLineBytes: maxLineBytes) }
    }

    /// `parse(batch:maxErrors:maxLineBytes:)` of a batch held in memory.
    public static func parse(batch bytes: UnsafeRawBufferPointer, maxErrors: Int, maxLineBytes: Int) -> Batch {
        var state = BatchState(maxErrors: maxErrors, maxLineBytes: maxLineBytes)
        var lineNumber = 0
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            state.add(line: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), number: lineNumber)
            start = end + 1
        }
        return state.out
    }

    /// Parses records that arrive one per message (Kafka): payload `k` is line `k + 1`, checked
    /// exactly as that line of an NDJSON batch would be (trailing CR, blank, length, envelope),
    /// without joining the payloads into a batch to split it again.
    public static func parse(payloads: [[UInt8]], maxErrors: Int, maxLineBytes: Int) -> Batch {
        var state = BatchState(maxErrors: maxErrors, maxLineBytes: maxLineBytes)
        for (k, payload) in payloads.enumerated() {
            payload.withUnsafeBytes { state.add(line: $0, number: k + 1) }
        }
        return state.out
    }

    /// A batch being parsed line by line (the line's framing is the caller's).
    private struct BatchState {
        let maxErrors: Int
        let maxLineBytes: Int
        var out = Batch()
        var fields = RecordFields()

        init(maxErrors: Int, maxLineBytes: Int) { self.maxErrors = maxErrors; self.maxLineBytes = maxLineBytes }

        /// Parses one line without its `\n`; a blank line (spaces, tabs) is skipped but numbered.
        mutating func add(line raw: UnsafeRawBufferPointer, number: Int) {
            var last = raw.count
            if last > 0 && raw[last - 1] == UInt8(ascii: "\r") { last -= 1 }
            let line = UnsafeRawBufferPointer(rebasing: raw[0..<last])
            guard !line.allSatisfy({ $0 == 32 || $0 == 9 }) else { return }
            if line.count > maxLineBytes {
                fail(LineError(line: number, "the record is \(line.count) bytes long; at most \(maxLineBytes) are accepted"))
                return
            }
            do throws(LineError) {
                out.records.append(try fields.parse(line: line, number: number))
            } catch {
                fail(error)
            }
        }

        private mutating func fail(_ error: LineError) {
            out.errorCount += 1
            if out.errors.count < maxErrors { out.errors.append(error) }
        }
    }

    /// Parses one line (without its newline).
    public static func parse(line bytes: [UInt8], number: Int) throws(LineError) -> IngestRecord {
        var fields = RecordFields()
        let result = bytes.withUnsafeBytes { line in Result { () throws(LineError) in try fields.parse(line: line, number: number) } }
        return try result.get()
    }
}
