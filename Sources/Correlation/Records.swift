import Foundation

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
}

public struct ServiceSeenRecord: Sendable, Hashable {
    public var service: String
    public var app: String?
    public var firstSeen: String?
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
    public static let supportedSchemaVersion = 1

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
        var out = Batch()
        var fields = RecordFields()
        var lineNumber = 0
        var start = 0
        func fail(_ error: LineError) {
            out.errorCount += 1
            if out.errors.count < maxErrors { out.errors.append(error) }
        }
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            var last = end
            if last > start && bytes[last - 1] == UInt8(ascii: "\r") { last -= 1 }
            let line = UnsafeRawBufferPointer(rebasing: bytes[start..<last])
            if !line.allSatisfy({ $0 == 32 || $0 == 9 }) {
                if line.count > maxLineBytes {
                    fail(LineError(line: lineNumber, "the record is \(line.count) bytes long; at most \(maxLineBytes) are accepted"))
                } else {
                    do throws(LineError) {
                        out.records.append(try fields.parse(line: line, number: lineNumber))
                    } catch {
                        fail(error)
                    }
                }
            }
            start = end + 1
        }
        return out
    }

    /// Parses one line (without its newline).
    public static func parse(line bytes: [UInt8], number: Int) throws(LineError) -> IngestRecord {
        var fields = RecordFields()
        let result = bytes.withUnsafeBytes { line in Result { () throws(LineError) in try fields.parse(line: line, number: number) } }
        return try result.get()
    }
}

/// RFC 3339 UTC times as the agent writes them (`2023-11-14T22:14:40.000000000Z`).
public enum Timestamp {
    /// Seconds since 1970, or nil if not `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    public static func parse(_ s: String) -> Double? {
        var s = s
        return s.withUTF8 { parse(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// `parse(_:)` of UTF-8 text.
    public static func parse(utf8 b: UnsafeRawBufferPointer) -> Double? {
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= b.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 20, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
              b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11, 2), b[13] == 58, let mi = num(14, 2), b[16] == 58,
              let sec = num(17, 2), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count && b[i] == 46 {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 48 && b[i] <= 57 { fraction += Double(b[i] - 48) * scale; scale /= 10; i += 1 }
            if i == start { return nil }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45, let oh = num(i + 1, 2), b.count > i + 3, b[i + 3] == 58, let om = num(i + 4, 2) {
            offset = (oh * 60 + om) * 60 * (b[i] == 43 ? 1 : -1)
            i += 6
        } else { return nil }
        guard i == b.count else { return nil }
        // Days from civil (Howard Hinnant).
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return Double(days * 86400 + h * 3600 + mi * 60 + sec - offset) + fraction
    }

    /// Seconds since 1970 as RFC 3339 UTC with milliseconds.
    public static func format(_ t: Double) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: t))
    }
}
