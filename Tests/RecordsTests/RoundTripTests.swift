import Foundation
import Testing
import TimeFormat
import VigieTestSupport
@testable import Records

/// A record of every kind written as the agent writes it (`RecordEncoder`: envelope, then the body
/// members in the encoder's order) and read as the server reads it (`RecordParser`), and checked
/// against `Schemas/records/<kind>.schema.json`.
@Suite("Records round trip")
struct RoundTripTests {
    static let agent = "edge-\"paris\"-01"
    static let epoch: UInt64 = 1_763_877_000_000
    static let ts: Int64 = 1_700_000_080_123_456_789
    static let agentTs: Int64 = 1_763_877_000_000_015_000

    /// One encoded record of `kind` (with its newline), sequence number `seq`.
    static func encode(_ kind: RecordKind, seq: UInt64 = 7) -> [UInt8] {
        var e = RecordEncoder(agentID: agent, epoch: epoch)
        e.begin(kind, seq: seq, ts: ts, agentTs: agentTs)
        Bodies.write(kind, into: &e.writer)
        e.end()
        return e.writer.bytes
    }

    @Test("what the encoder writes, the parser reads: envelope and body", arguments: RecordKind.allCases)
    func roundTrip(kind: RecordKind) throws {
        let line = Self.encode(kind)
        #expect(line.last == 0x0A)
        let record = try RecordParser.parse(line: Array(line.dropLast()), number: 3)
        let envelope = record.envelope
        #expect(record.line == 3)
        #expect(envelope.kind == kind.name && RecordKind(name: envelope.kind) == kind)
        #expect(envelope.schemaVersion == RecordKind.schemaVersion)
        #expect(envelope.agentID == Self.agent && envelope.epoch == Int64(Self.epoch) && envelope.seq == 7)
        #expect(envelope.tsText == RFC3339.string(Self.ts) && envelope.agentTS == RFC3339.string(Self.agentTs))
        #expect(abs(envelope.ts - Double(Self.ts) / 1e9) < 1e-6)
        let text = String(decoding: line.dropLast(), as: UTF8.self)
        switch (kind, record.body) {
        case (.serviceState, .serviceState(let s)):
            #expect(s == ServiceStateRecord(service: Bodies.service, state: .degraded, previousState: "UP", reason: "transition",
                                            app: "http", errorRate: 0.25))
        case (.edge, .edge(let e)):
            var window = EdgeWindow(start: Timestamp.parse(RFC3339.string(Self.ts - 60_000_000_000)) ?? 0,
                                    end: Timestamp.parse(RFC3339.string(Self.ts)) ?? 0)
            window.sums.attempts = 30; window.sums.established = 20; window.sums.refused = 5; window.sums.unanswered = 4
            window.sums.transactions = 20; window.sums.errors = 2
            #expect(e == EdgeRecord(client: Bodies.client, service: Bodies.service, app: "http", attempts: 30, transactions: 20,
                                    failures: 5 + 4 + 2, window: window))
        case (.serviceSeen, .serviceSeen(let s)):
            #expect(s == ServiceSeenRecord(service: Bodies.service, app: "http", firstSeen: RFC3339.string(Self.ts)))
        case (.agentHealth, .agentHealth(let stored)):
            #expect(stored == text)
            #expect(RecordParser.string(.queryAPI, of: stored) == Bodies.queryAPI)
        case (.conn, .flow(let service, let stored)), (.txn, .flow(let service, let stored)):
            #expect(service == Bodies.service && stored == text)
        case (.pin, .pin(let p)):
            #expect(p == PinRecord(action: .created, id: "00c0ffee00c0ffee", from: (Timestamp.parse(RFC3339.string(Self.ts)) ?? 0) - 300,
                                   to: (Timestamp.parse(RFC3339.string(Self.ts)) ?? 0) + 600, reason: "service 10.0.0.5:443/tcp → DOWN (UNREACHABLE)",
                                   service: Bodies.service, state: "DOWN", origin: "incident"))
        default:
            Issue.record("\(kind) parsed as \(record.body)")
        }
    }

    @Test("every kind's encoding validates against its schema",
          .enabled(if: SchemaValidator.isAvailable, "python3 with jsonschema is missing (pip install jsonschema): schema validation skipped"))
    func schemas() throws {
        let ndjson = RecordKind.allCases.enumerated().flatMap { Self.encode($1, seq: UInt64($0 + 1)) }
        let errors = try SchemaValidator.validate(ndjson)
        #expect(errors.isEmpty, "\(errors.prefix(20).joined(separator: "\n"))")
        // The validator does fail: a record missing its envelope's `seq` is rejected.
        let broken = String(decoding: Self.encode(.serviceState), as: UTF8.self).replacingOccurrences(of: "\"seq\":7,", with: "")
        #expect(try !SchemaValidator.validate(Array(broken.utf8)).isEmpty)
    }

    @Test("a schema per kind, and a kind per schema")
    func schemaFiles() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Schemas/records")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".schema.json") }.map { String($0.dropLast(".schema.json".count)) }
        #expect(Set(names) == Set(RecordKind.allCases.map(\.name)))
    }

    /// Lines as an NDJSON batch and the same lines as Kafka payloads (one per message).
    static let messages: [String] = [
        String(decoding: encode(.serviceState, seq: 1).dropLast(), as: UTF8.self),
        "{oops",
        "",
        "  \t",
        String(decoding: encode(.edge, seq: 2).dropLast(), as: UTF8.self) + "\r",
        #"{"schema_version":2}"#,
        String(decoding: encode(.conn, seq: 3).dropLast(), as: UTF8.self),
        String(repeating: "x", count: 300),
        Lines.agentHealth(seq: 4),
    ]

    @Test("payloads parse as the lines of the batch they used to be joined into", arguments: [Int.max, 1], [Int.max, 700])
    func payloadsAsBatch(maxErrors: Int, maxLineBytes: Int) {
        let batch = RecordParser.parse(batch: Array(Self.messages.joined(separator: "\n").utf8), maxErrors: maxErrors, maxLineBytes: maxLineBytes)
        let payloads = RecordParser.parse(payloads: Self.messages.map { Array($0.utf8) }, maxErrors: maxErrors, maxLineBytes: maxLineBytes)
        #expect(payloads.records == batch.records)
        #expect(payloads.errors == batch.errors)
        #expect(payloads.errorCount == batch.errorCount)
        // Records on lines 1, 5, 7, 9 unless longer than the limit (line 5 without its CR).
        let fitting = [1, 5, 7, 9].filter { Self.messages[$0 - 1].utf8.count - ($0 == 5 ? 1 : 0) <= maxLineBytes }
        #expect(payloads.records.map(\.line) == fitting)
        #expect(payloads.errorCount == 3 + 4 - fitting.count)
        #expect(payloads.errors.count == min(maxErrors, payloads.errorCount))
    }
}

/// Record bodies in the agent encoder's member order (Analytics/Emit/RecordEncoder+*.swift), with
/// fixed values.
enum Bodies {
    static let service = "10.0.0.5:443/tcp"
    static let client = "10.0.1.1"
    static let queryAPI = "https://10.0.0.9:8443"

    static func write(_ kind: RecordKind, into w: inout JSONWriter) {
        switch kind {
        case .conn:
            w.key("uid"); w.value(hex: 1)
            w.time("start_ts", RoundTripTests.ts - 2_000_000_000)
            w.micros("duration_us", 2_000_000_000)
            w.field(RecordField.origH.key, client); w.field("orig_p", 40000)
            serviceMembers(&w)
            w.field("ip_proto", 6); w.field("conn_state", "SF"); w.field("history", "ShADadFf"); w.field("interim", false)
            w.field("end_reason", "fin")
            for key: StaticString in ["orig_pkts", "resp_pkts", "orig_bytes", "resp_bytes", "orig_ip_bytes", "resp_ip_bytes"] { w.field(key, UInt64(10)) }
            for key: StaticString in ["orig_retrans", "resp_retrans", "orig_ooo", "resp_ooo", "orig_zero_win", "resp_zero_win", "icmp_errors", "fragments"] {
                w.field(key, 0)
            }
            w.optional("tls_sni", "example.com")
        case .txn:
            w.key("uid"); w.value(hex: 2)
            w.field(RecordField.origH.key, client); w.field("orig_p", 40000)
            serviceMembers(&w)
            w.time("request_ts", RoundTripTests.ts)
            w.micros("response_time_us", 1_500_000)
            w.field("error", false); w.field("sample_rate", 1)
            w.field("http_method", "GET"); w.field("http_host", "shop.example"); w.field("http_path", "/"); w.field("http_status", 200)
        case .edge:
            w.field(RecordField.origH.key, client)
            serviceMembers(&w)
            w.time("interval_start", RoundTripTests.ts - 60_000_000_000); w.time("interval_end", RoundTripTests.ts)
            w.field(RecordField.attempts.key, 30); w.field("established", 20); w.field(RecordField.refused.key, 5)
            w.field(RecordField.unanswered.key, 4); w.field("resets", 0); w.field(RecordField.transactions.key, 20)
            w.field(RecordField.transactionErrors.key, 2)
            w.field("bytes_to_server", 0); w.field("bytes_to_client", 0); w.field("retransmissions", 0)
        case .serviceState:
            serviceMembers(&w)
            w.field(RecordField.state.key, AgentServiceState.degraded.rawValue)
            w.field(RecordField.previousState.key, AgentServiceState.up.rawValue)
            w.field(RecordField.reason.key, "transition")
            w.time("window_start", RoundTripTests.ts - 10_000_000_000); w.time("window_end", RoundTripTests.ts)
            for key: StaticString in ["attempts", "established", "answered", "refused", "unanswered", "resets", "transactions", "transaction_errors"] {
                w.field(key, 4)
            }
            w.field(RecordField.errorRate.key, 0.25)
        case .serviceSeen:
            serviceMembers(&w)
            w.time(RecordField.firstSeen.key, RoundTripTests.ts)
            w.field("reannounce", false)
        case .agentHealth:
            for key: StaticString in ["packets_received", "packets_dropped", "packets_dropped_agent", "flows_active", "flow_evictions", "anomalies", "store_bytes"] {
                w.field(key, UInt64(1))
            }
            w.field(RecordField.queryAPI.key, queryAPI)
            w.key("records")
            w.beginObject()
            for k in RecordKind.allCases {
                w.key(k.key); w.beginObject(); w.field("emitted", UInt64(k.index)); w.field("dropped", UInt64(0)); w.endObject()
            }
            w.endObject()
            for key: StaticString in ["txn_sampled_out", "services_tracked", "services_overflow", "edges_overflow"] { w.field(key, UInt64(0)) }
        case .pin:
            w.field("action", "created"); w.field("id", "00c0ffee00c0ffee")
            w.time("from", RoundTripTests.ts - 300_000_000_000); w.time("to", RoundTripTests.ts + 600_000_000_000)
            w.field("reason", "service 10.0.0.5:443/tcp → DOWN (UNREACHABLE)"); w.field("service", service); w.field("state", "DOWN")
            w.field("origin", "incident")
        }
    }

    private static func serviceMembers(_ w: inout JSONWriter) {
        w.key(RecordField.service.key)
        w.value(serviceIPv4: 0x0A00_0005, host: "10.0.0.5", port: 443, transport: "tcp")
        w.field("resp_h", "10.0.0.5"); w.field("resp_p", 443); w.field("transport", "tcp")
        w.field(RecordField.app.key, "http")
    }
}
