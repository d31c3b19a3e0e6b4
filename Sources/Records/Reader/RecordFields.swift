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
        let version = try int(.schemaVersion)
        guard version == Int64(RecordParser.supportedSchemaVersion) else { throw LineError(line: number, "unsupported schema_version \(version)") }
        let kind = try string(.kind)
        let agent = try string(.agentID)
        guard !agent.isEmpty else { throw LineError(line: number, "'agent_id' is empty") }
        let epoch = try int(.epoch)
        guard epoch >= 0 else { throw LineError(line: number, "'epoch' must be ≥ 0") }
        let seq = try int(.seq)
        guard seq >= 1 else { throw LineError(line: number, "'seq' must be ≥ 1") }
        let tsText = try string(.ts)
        guard let ts = Timestamp.parse(tsText) else { throw LineError(line: number, "'ts': '\(tsText)' is not an RFC 3339 UTC time") }
        let agentTS = try string(.agentTS)
        guard Timestamp.parse(agentTS) != nil else { throw LineError(line: number, "'agent_ts': '\(agentTS)' is not an RFC 3339 UTC time") }
        let envelope = Envelope(schemaVersion: Int(version), kind: kind, agentID: agent, epoch: epoch, seq: seq, ts: ts, tsText: tsText, agentTS: agentTS)
        let body: RecordBody
        // The server reads the kinds it knows; another kind is counted, not an error.
        switch RecordKind(name: kind) {
        case .serviceState?:
            let text = try string(.state)
            guard let state = AgentServiceState(rawValue: text) else { throw LineError(line: number, "'state': unknown value '\(text)'") }
            body = .serviceState(ServiceStateRecord(service: try service(), state: state, previousState: try optionalString(.previousState),
                                                    reason: try optionalString(.reason), app: try optionalString(.app),
                                                    errorRate: double(.errorRate)))
        case .edge?:
            let client = try string(.origH)
            let attempts = try optionalInt(.attempts) ?? 0
            let transactions = try optionalInt(.transactions) ?? 0
            let refused = try optionalInt(.refused) ?? 0
            let unanswered = try optionalInt(.unanswered) ?? 0
            let errors = try optionalInt(.transactionErrors) ?? 0
            body = .edge(EdgeRecord(client: client, service: try service(), app: try optionalString(.app),
                                    attempts: attempts, transactions: transactions,
                                    failures: refused.addingSaturated(unanswered).addingSaturated(errors),
                                    window: try edgeWindow(attempts: attempts, transactions: transactions, refused: refused,
                                                           unanswered: unanswered, errors: errors)))
        case .serviceSeen?:
            body = .serviceSeen(ServiceSeenRecord(service: try service(), app: try optionalString(.app),
                                                  firstSeen: try optionalString(.firstSeen)))
        case .agentHealth?:
            body = .agentHealth(String(decoding: line, as: UTF8.self))
        case .conn?, .txn?:
            body = .flow(service: try optionalString(.service), line: String(decoding: line, as: UTF8.self))
        case .pin?:
            let actionText = try string(.action)
            guard let action = PinRecord.Action(rawValue: actionText) else { throw LineError(line: number, "'action': unknown value '\(actionText)'") }
            func time(_ f: RecordField) throws(LineError) -> Double {
                let text = try string(f)
                guard let t = Timestamp.parse(text) else { throw LineError(line: number, "'\(f.key)': '\(text)' is not an RFC 3339 UTC time") }
                return t
            }
            let from = try time(.from), to = try time(.to)
            guard from <= to else { throw LineError(line: number, "'from' is after 'to'") }
            body = .pin(PinRecord(action: action, id: try string(.id), from: from, to: to, reason: try optionalString(.reason),
                                  service: try optionalString(.service), state: try optionalString(.state), origin: try optionalString(.origin)))
        case nil:
            body = .unknown
        }
        return IngestRecord(envelope: envelope, body: body, line: number)
    }

    /// The interval of an `edge` record, when it has both bounds. Negative counters count as 0
    /// (history sums them); a histogram that is not one of ``LatencyHistogram``'s layout is an error.
    private func edgeWindow(attempts: Int64, transactions: Int64, refused: Int64, unanswered: Int64,
                            errors: Int64) throws(LineError) -> EdgeWindow? {
        guard values[RecordField.intervalStart.rawValue].kind != .absent || values[RecordField.intervalEnd.rawValue].kind != .absent else { return nil }
        let startText = try string(.intervalStart), endText = try string(.intervalEnd)
        guard let start = Timestamp.parse(startText) else { throw LineError(line: number, "'interval_start': '\(startText)' is not an RFC 3339 UTC time") }
        guard let end = Timestamp.parse(endText), end >= start else { throw LineError(line: number, "'interval_end': '\(endText)' is not an RFC 3339 UTC time at or after interval_start") }
        var w = EdgeWindow(start: start, end: end)
        w.sums.attempts = max(0, attempts)
        w.sums.transactions = max(0, transactions)
        w.sums.refused = max(0, refused)
        w.sums.unanswered = max(0, unanswered)
        w.sums.errors = max(0, errors)
        w.sums.established = max(0, try optionalInt(.established) ?? 0)
        w.sums.resets = max(0, try optionalInt(.resets) ?? 0)
        w.sums.bytesToServer = max(0, try optionalInt(.bytesToServer) ?? 0)
        w.sums.bytesToClient = max(0, try optionalInt(.bytesToClient) ?? 0)
        w.sums.rtt = try histogram(.rtt)
        w.sums.responseTime = try histogram(.responseTime)
        return w
    }

    /// A histogram object (`count`, `sum_us`, `min_us`, `max_us`, `buckets` as `[[index, count], ...]`);
    /// empty when absent.
    private func histogram(_ f: RecordField) throws(LineError) -> LatencyHistogram {
        let v = values[f.rawValue]
        guard v.kind != .absent else { return LatencyHistogram() }
        guard v.kind == .object, let h = HistogramJSON.parse(UnsafeRawBufferPointer(rebasing: line[v.start..<v.end])) else {
            throw LineError(line: number, "'\(f.key)' is not a \(LatencyHistogram.layoutName) latency histogram")
        }
        return h
    }

    // MARK: Typed fields

    /// A field's value; throws when the record lacks it.
    private func required(_ f: RecordField) throws(LineError) -> JSONValueRef {
        let v = values[f.rawValue]
        guard v.kind != .absent else { throw LineError(line: number, "missing '\(f.key)'") }
        return v
    }

    private func string(_ f: RecordField) throws(LineError) -> String {
        let v = try required(f)
        guard let s = Self.string(v, in: line) else { throw LineError(line: number, "'\(f.key)' must be a string") }
        return s
    }

    /// nil when absent; an error when present but not a string.
    private func optionalString(_ f: RecordField) throws(LineError) -> String? {
        values[f.rawValue].kind == .absent ? nil : try string(f)
    }

    /// The text of a string value of `line` (escapes decoded); nil for another kind of value.
    static func string(_ v: JSONValueRef, in line: UnsafeRawBufferPointer) -> String? {
        guard v.kind == .string else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: line[v.start..<v.end])
        guard v.flag else { return String(decoding: raw, as: UTF8.self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        JSONString.unescape(raw, into: &decoded)
        return String(decoding: decoded, as: UTF8.self)
    }

    /// A number (or bool) that is an exact integer once converted to Double, as `NSNumber.doubleValue` does.
    private func int(_ f: RecordField) throws(LineError) -> Int64 {
        let v = try required(f)
        guard let d = numeric(v), let i = Int64(exactly: d) else { throw LineError(line: number, "'\(f.key)' must be an integer") }
        return i
    }

    /// nil when absent; an error when present but not an integer.
    private func optionalInt(_ f: RecordField) throws(LineError) -> Int64? {
        values[f.rawValue].kind == .absent ? nil : try int(f)
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
        let s = try string(.service)
        guard ServiceID.isValid(s) else { throw LineError(line: number, "'service': '\(s)' is not [tenant/]address:port/transport") }
        return s
    }
}

extension Int64 {
    /// `self + other` clamped to the Int64 range (absurd counters in a record must not trap).
    func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}

extension RecordParser {
    /// The string value of one top-level field of a record line (e.g. the `query_api` of a stored
    /// `agent_health` line), read with the parser's scanner: nil when the line is not a JSON object
    /// or the field is absent or not a string; of a duplicated key, the last one counts.
    public static func string(_ field: RecordField, of line: String) -> String? {
        var text = line
        return text.withUTF8 { buffer -> String? in
            let raw = UnsafeRawBufferPointer(buffer)
            var values = [JSONValueRef()]
            var scanner = JSONLineScanner(raw)
            do {
                try scanner.scanObject(into: &values) { key, escaped in RecordField.slot(of: key, escaped: escaped) == field.rawValue ? 0 : nil }
            } catch {
                return nil
            }
            return RecordFields.string(values[0], in: raw)
        }
    }
}
