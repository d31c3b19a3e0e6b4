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
            let service = try service(), app = try string("app", required: false)
            var window: EdgeWindow?
            if r["interval_start"] != nil || r["interval_end"] != nil {
                let startText = try string("interval_start")!, endText = try string("interval_end")!
                guard let start = Timestamp.parse(startText) else { throw LineError(line: number, "'interval_start': '\(startText)' is not an RFC 3339 UTC time") }
                guard let end = Timestamp.parse(endText), end >= start else {
                    throw LineError(line: number, "'interval_end': '\(endText)' is not an RFC 3339 UTC time at or after interval_start")
                }
                var w = EdgeWindow(start: start, end: end)
                w.sums.attempts = max(0, attempts); w.sums.transactions = max(0, txns)
                w.sums.refused = max(0, try int("refused", required: false) ?? 0)
                w.sums.unanswered = max(0, try int("unanswered", required: false) ?? 0)
                w.sums.errors = max(0, try int("transaction_errors", required: false) ?? 0)
                w.sums.established = max(0, try int("established", required: false) ?? 0)
                w.sums.resets = max(0, try int("resets", required: false) ?? 0)
                w.sums.bytesToServer = max(0, try int("bytes_to_server", required: false) ?? 0)
                w.sums.bytesToClient = max(0, try int("bytes_to_client", required: false) ?? 0)
                w.sums.rtt = try histogram(r["rtt"], "rtt", number)
                w.sums.responseTime = try histogram(r["response_time"], "response_time", number)
                window = w
            }
            body = .edge(EdgeRecord(client: client, service: service, app: app,
                                    attempts: attempts, transactions: txns, failures: failures, window: window))
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


extension FoundationRecordParser {
    /// A histogram object as JSONSerialization reads it (the reference for `HistogramJSON`).
    static func histogram(_ value: Any?, _ key: String, _ number: Int) throws(LineError) -> LatencyHistogram {
        guard let value else { return LatencyHistogram() }
        let failure = LineError(line: number, "'\(key)' is not a \(LatencyHistogram.layoutName) latency histogram")
        guard let d = value as? [String: Any] else { throw failure }
        if let layout = d["layout"] { guard (layout as? String) == LatencyHistogram.layoutName else { throw failure } }
        func unsigned(_ v: Any) -> UInt64? { (v as? NSNumber).flatMap { UInt64(exactly: $0.doubleValue) } }
        guard let countValue = d["count"], let count = unsigned(countValue) else { throw failure }
        var sum: UInt64 = 0
        if let v = d["sum_us"] { guard let s = unsigned(v) else { throw failure }; sum = s }
        var minimum: UInt64?, maximum: UInt64?
        if let v = d["min_us"] { guard let m = unsigned(v) else { throw failure }; minimum = m }
        if let v = d["max_us"] { guard let m = unsigned(v) else { throw failure }; maximum = m }
        var pairs: [(index: Int, count: UInt64)] = []
        if let v = d["buckets"] {
            guard let array = v as? [Any], array.count <= LatencyHistogram.bucketCount else { throw failure }
            for element in array {
                guard let pair = element as? [Any], pair.count == 2, let i = unsigned(pair[0]), let c = unsigned(pair[1]),
                      i < UInt64(LatencyHistogram.bucketCount) else { throw failure }
                pairs.append((Int(i), c))
            }
        }
        func nanos(_ micros: UInt64) -> UInt64 { micros > UInt64.max / 1000 ? .max : micros * 1000 }
        guard let h = LatencyHistogram(buckets: pairs, count: count, sumNanos: nanos(sum),
                                       minNanos: minimum.map { Int64(clamping: nanos($0)) } ?? -1,
                                       maxNanos: maximum.map { Int64(clamping: nanos($0)) } ?? -1) else { throw failure }
        return h
    }
}
