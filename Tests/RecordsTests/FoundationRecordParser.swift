import Foundation
@testable import Records

/// The record parser as it was before `JSONLineScanner`: Foundation's `JSONSerialization` per line.
/// Kept as the reference the scanner-based `RecordParser` is compared with (only change: the edge
/// failure counters add with saturation, as `RecordParser` does, instead of trapping on overflow).
enum FoundationRecordParser {
    static func parse(line bytes: [UInt8], number: Int) throws(LineError) -> IngestRecord {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)), let r = object as? [String: Any] else {
            throw LineError(line: number, "not a JSON object")
        }
        func string(_ k: String, required: Bool = true) throws(LineError) -> String? {
            guard let v = r[k] else {
                if required { throw LineError(line: number, "missing '\(k)'") }
                return nil
            }
            guard let s = v as? String else { throw LineError(line: number, "'\(k)' must be a string") }
            return s
        }
        func int(_ k: String, required: Bool = true) throws(LineError) -> Int64? {
            guard let v = r[k] else {
                if required { throw LineError(line: number, "missing '\(k)'") }
                return nil
            }
            guard let n = v as? NSNumber, let i = Int64(exactly: n.doubleValue) else {
                throw LineError(line: number, "'\(k)' must be an integer")
            }
            return i
        }
        let version = try int("schema_version")!
        guard version == Int64(RecordParser.supportedSchemaVersion) else { throw LineError(line: number, "unsupported schema_version \(version)") }
        let kind = try string("kind")!
        let agent = try string("agent_id")!
        guard !agent.isEmpty else { throw LineError(line: number, "'agent_id' is empty") }
        let epoch = try int("epoch")!
        guard epoch >= 0 else { throw LineError(line: number, "'epoch' must be ≥ 0") }
        let seq = try int("seq")!
        guard seq >= 1 else { throw LineError(line: number, "'seq' must be ≥ 1") }
        let tsText = try string("ts")!
        guard let ts = Timestamp.parse(tsText) else { throw LineError(line: number, "'ts': '\(tsText)' is not an RFC 3339 UTC time") }
        let agentTS = try string("agent_ts")!
        guard Timestamp.parse(agentTS) != nil else { throw LineError(line: number, "'agent_ts': '\(agentTS)' is not an RFC 3339 UTC time") }
        let env = Envelope(schemaVersion: Int(version), kind: kind, agentID: agent, epoch: epoch, seq: seq, ts: ts, tsText: tsText, agentTS: agentTS)
        func service() throws(LineError) -> String {
            let s = try string("service")!
            guard ServiceID(s) != nil else { throw LineError(line: number, "'service': '\(s)' is not [tenant/]address:port/transport") }
            return s
        }
        let body: RecordBody
        switch kind {
        case "service_state":
            let text = try string("state")!
            guard let state = AgentServiceState(rawValue: text) else { throw LineError(line: number, "'state': unknown value '\(text)'") }
            body = .serviceState(ServiceStateRecord(service: try service(), state: state, previousState: try string("previous_state", required: false),
                                                    reason: try string("reason", required: false), app: try string("app", required: false),
                                                    errorRate: (r["error_rate"] as? NSNumber)?.doubleValue))
        case "edge":
            let client = try string("orig_h")!
            let attempts = try int("attempts", required: false) ?? 0
            let txns = try int("transactions", required: false) ?? 0
            let failures = (try int("refused", required: false) ?? 0).addingSaturated(try int("unanswered", required: false) ?? 0)
                .addingSaturated(try int("transaction_errors", required: false) ?? 0)
            body = .edge(EdgeRecord(client: client, service: try service(), app: try string("app", required: false),
                                    attempts: attempts, transactions: txns, failures: failures))
        case "service_seen":
            body = .serviceSeen(ServiceSeenRecord(service: try service(), app: try string("app", required: false),
                                                  firstSeen: try string("first_seen", required: false)))
        case "agent_health":
            body = .agentHealth(String(decoding: bytes, as: UTF8.self))
        case "conn", "txn":
            body = .flow(service: try string("service", required: false), line: String(decoding: bytes, as: UTF8.self))
        default:
            body = .unknown
        }
        return IngestRecord(envelope: env, body: body, line: number)
    }

    /// The outcome of a line: the record or the error.
    static func outcome(_ line: [UInt8]) -> Result<IngestRecord, LineError> {
        Result { () throws(LineError) in try parse(line: line, number: 7) }
    }
}
