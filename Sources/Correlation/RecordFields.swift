/// The top-level keys of a record the server reads (docs/records.md); every other key is only validated.
enum RecordField: Int, CaseIterable {
    case schemaVersion, kind, agentID, epoch, seq, ts, agentTS
    case service, state, previousState, reason, app, errorRate
    case origH, attempts, transactions, refused, unanswered, transactionErrors, firstSeen

    static let count = 20

    var key: StaticString {
        switch self {
        case .schemaVersion: "schema_version"
        case .kind: "kind"
        case .agentID: "agent_id"
        case .epoch: "epoch"
        case .seq: "seq"
        case .ts: "ts"
        case .agentTS: "agent_ts"
        case .service: "service"
        case .state: "state"
        case .previousState: "previous_state"
        case .reason: "reason"
        case .app: "app"
        case .errorRate: "error_rate"
        case .origH: "orig_h"
        case .attempts: "attempts"
        case .transactions: "transactions"
        case .refused: "refused"
        case .unanswered: "unanswered"
        case .transactionErrors: "transaction_errors"
        case .firstSeen: "first_seen"
        }
    }

    /// The slot of a key (raw bytes between the quotes), or nil for a key the server does not read.
    static func slot(of raw: UnsafeRawBufferPointer, escaped: Bool) -> Int? {
        guard escaped else { return slot(of: raw) }
        var decoded: [UInt8] = []
        JSONString.unescape(raw, into: &decoded)
        return decoded.withUnsafeBytes { slot(of: $0) }
    }

    /// Candidates by key length (the length tells most keys apart), then a byte compare.
    private static func slot(of key: UnsafeRawBufferPointer) -> Int? {
        switch key.count {
        case 2: return match(key, .ts)
        case 3: return match(key, .seq) ?? match(key, .app)
        case 4: return match(key, .kind)
        case 5: return match(key, .epoch) ?? match(key, .state)
        case 6: return match(key, .reason) ?? match(key, .origH)
        case 7: return match(key, .service) ?? match(key, .refused)
        case 8: return match(key, .agentID) ?? match(key, .agentTS) ?? match(key, .attempts)
        case 10: return match(key, .errorRate) ?? match(key, .firstSeen) ?? match(key, .unanswered)
        case 12: return match(key, .transactions)
        case 14: return match(key, .schemaVersion) ?? match(key, .previousState)
        case 18: return match(key, .transactionErrors)
        default: return nil
        }
    }

    private static func match(_ key: UnsafeRawBufferPointer, _ field: RecordField) -> Int? {
        let name = field.key
        guard name.utf8CodeUnitCount == key.count else { return nil }
        for k in 0..<key.count where key[k] != name.utf8Start[k] { return nil }
        return field.rawValue
    }
}

/// Scans a record line and turns the fields the server reads into an `IngestRecord`, checking them
/// in the same order, with the same messages, as the envelope rules of docs/records.md say.
/// Reused from line to line of a batch (its slot table is allocated once).
struct RecordFields {
    private var values = [JSONValueRef](repeating: JSONValueRef(), count: RecordField.count)
    private var line = UnsafeRawBufferPointer(start: nil, count: 0)
    private var number = 0

    mutating func parse(line: UnsafeRawBufferPointer, number: Int) throws(LineError) -> IngestRecord {
        self.line = line
        self.number = number
        for k in values.indices { values[k].kind = .absent }
        var scanner = JSONLineScanner(line)
        do {
            try scanner.scanObject(into: &values) { key, escaped in RecordField.slot(of: key, escaped: escaped) }
        } catch {
            throw LineError(line: number, "not a JSON object")
        }
        return try record()
    }

    private func record() throws(LineError) -> IngestRecord {
        let version = try int(.schemaVersion)!
        guard version == Int64(RecordParser.supportedSchemaVersion) else { throw LineError(line: number, "unsupported schema_version \(version)") }
        let kind = try string(.kind)!
        let agent = try string(.agentID)!
        guard !agent.isEmpty else { throw LineError(line: number, "'agent_id' is empty") }
        let epoch = try int(.epoch)!
        guard epoch >= 0 else { throw LineError(line: number, "'epoch' must be ≥ 0") }
        let seq = try int(.seq)!
        guard seq >= 1 else { throw LineError(line: number, "'seq' must be ≥ 1") }
        let tsText = try string(.ts)!
        guard let ts = Timestamp.parse(tsText) else { throw LineError(line: number, "'ts': '\(tsText)' is not an RFC 3339 UTC time") }
        let agentTS = try string(.agentTS)!
        guard Timestamp.parse(agentTS) != nil else { throw LineError(line: number, "'agent_ts': '\(agentTS)' is not an RFC 3339 UTC time") }
        let envelope = Envelope(schemaVersion: Int(version), kind: kind, agentID: agent, epoch: epoch, seq: seq, ts: ts, tsText: tsText, agentTS: agentTS)
        let body: RecordBody
        switch kind {
        case "service_state":
            let text = try string(.state)!
            guard let state = AgentServiceState(rawValue: text) else { throw LineError(line: number, "'state': unknown value '\(text)'") }
            body = .serviceState(ServiceStateRecord(service: try service(), state: state, previousState: try string(.previousState, required: false),
                                                    reason: try string(.reason, required: false), app: try string(.app, required: false),
                                                    errorRate: double(.errorRate)))
        case "edge":
            let client = try string(.origH)!
            let attempts = try int(.attempts, required: false) ?? 0
            let transactions = try int(.transactions, required: false) ?? 0
            let refused = try int(.refused, required: false) ?? 0
            let unanswered = try int(.unanswered, required: false) ?? 0
            let errors = try int(.transactionErrors, required: false) ?? 0
            body = .edge(EdgeRecord(client: client, service: try service(), app: try string(.app, required: false),
                                    attempts: attempts, transactions: transactions,
                                    failures: refused.addingSaturated(unanswered).addingSaturated(errors)))
        case "service_seen":
            body = .serviceSeen(ServiceSeenRecord(service: try service(), app: try string(.app, required: false),
                                                  firstSeen: try string(.firstSeen, required: false)))
        case "agent_health":
            body = .agentHealth(String(decoding: line, as: UTF8.self))
        case "conn", "txn":
            body = .flow(service: try string(.service, required: false), line: String(decoding: line, as: UTF8.self))
        default:
            body = .unknown
        }
        return IngestRecord(envelope: envelope, body: body, line: number)
    }

    // MARK: Typed fields

    private func value(_ f: RecordField, required: Bool) throws(LineError) -> JSONValueRef? {
        let v = values[f.rawValue]
        if v.kind == .absent {
            if required { throw LineError(line: number, "missing '\(f.key)'") }
            return nil
        }
        return v
    }

    private func string(_ f: RecordField, required: Bool = true) throws(LineError) -> String? {
        guard let v = try value(f, required: required) else { return nil }
        guard v.kind == .string else { throw LineError(line: number, "'\(f.key)' must be a string") }
        let raw = UnsafeRawBufferPointer(rebasing: line[v.start..<v.end])
        guard v.flag else { return String(decoding: raw, as: UTF8.self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        JSONString.unescape(raw, into: &decoded)
        return String(decoding: decoded, as: UTF8.self)
    }

    /// A number (or bool) that is an exact integer once converted to Double, as `NSNumber.doubleValue` does.
    private func int(_ f: RecordField, required: Bool = true) throws(LineError) -> Int64? {
        guard let v = try value(f, required: required) else { return nil }
        guard let d = numeric(v), let i = Int64(exactly: d) else { throw LineError(line: number, "'\(f.key)' must be an integer") }
        return i
    }

    /// A number (or bool) as Double; nil when absent or another kind of value.
    private func double(_ f: RecordField) -> Double? { numeric(values[f.rawValue]) }

    private func numeric(_ v: JSONValueRef) -> Double? {
        switch v.kind {
        case .number: JSONNumber.double(UnsafeRawBufferPointer(rebasing: line[v.start..<v.end]))
        case .bool: v.flag ? 1 : 0
        default: nil
        }
    }

    /// The `service` field, an `address:port/transport` service id.
    private func service() throws(LineError) -> String {
        let s = try string(.service)!
        guard ServiceID.isValid(s) else { throw LineError(line: number, "'service': '\(s)' is not address:port/transport") }
        return s
    }
}

extension ServiceID {
    /// Whether `ServiceID(text)` would succeed; checks the usual ASCII form on bytes, the rest with the initializer.
    static func isValid(_ text: String) -> Bool {
        var text = text
        let simple = text.withUTF8 { b -> Bool in
            guard let slash = b.lastIndex(of: UInt8(ascii: "/")), slash + 1 < b.count,
                  b[(slash + 1)...].allSatisfy({ ($0 | 0x20) >= UInt8(ascii: "a") && ($0 | 0x20) <= UInt8(ascii: "z") || $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let colon = b[..<slash].lastIndex(of: UInt8(ascii: ":")), colon > 0, slash - colon - 1 >= 1, slash - colon - 1 <= 5 else { return false }
            var port = 0
            for c in b[(colon + 1)..<slash] {
                guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return false }
                port = port * 10 + Int(c - UInt8(ascii: "0"))
            }
            guard port <= 65535 else { return false }
            let host = b[..<colon]
            guard host.allSatisfy({ $0 < 0x80 }) else { return false }
            if host.first == UInt8(ascii: "[") {
                return host.count > 2 && host.last == UInt8(ascii: "]") && host.contains(UInt8(ascii: ":"))
            }
            return !host.contains(UInt8(ascii: ":"))
        }
        return simple || ServiceID(text) != nil
    }
}

extension Int64 {
    /// `self + other` clamped to the Int64 range (absurd counters in a record must not trap).
    func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
