import Foundation
import Testing
import VigieTestSupport
@testable import Records

/// `RecordParser` (the byte scanner) against `FoundationRecordParser` (JSONSerialization): same
/// records, same error lines and messages.
@Suite("Record parser")
struct RecordParserTests {
    static func outcome(_ line: [UInt8]) -> Result<IngestRecord, LineError> {
        Result { () throws(LineError) in try RecordParser.parse(line: line, number: 7) }
    }

    /// Both parsers agree on `line`; returns the outcome.
    @discardableResult
    static func agree(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> Result<IngestRecord, LineError> {
        agree(Array(line.utf8), sourceLocation: sourceLocation)
    }

    @discardableResult
    static func agree(_ line: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Result<IngestRecord, LineError> {
        let new = outcome(line), reference = FoundationRecordParser.outcome(line)
        #expect(new == reference, "\(String(decoding: line, as: UTF8.self).debugDescription)", sourceLocation: sourceLocation)
        return new
    }

    static let state = Lines.serviceState(seq: 15, state: "DEGRADED")

    @Test("the agent's record shapes parse as with JSONSerialization")
    func agentShapes() throws {
        for line in [Self.state, Lines.edge(seq: 24), Lines.serviceSeen(seq: 2), Lines.agentHealth(seq: 25), Lines.conn(seq: 1),
                     Lines.serviceState(seq: 17, service: "[2001:db8::1]:53/udp", state: "UP")] {
            let r = try Self.agree(line).get()
            #expect(r.line == 7)
        }
        let r = try Self.agree(Self.state).get()
        #expect(r.envelope.agentID == "edge-paris-01" && r.envelope.seq == 15 && r.envelope.epoch == 1763877000000)
        guard case .serviceState(let s) = r.body else { Issue.record("not a service_state"); return }
        #expect(s.service == "10.0.0.5:443/tcp" && s.state == .degraded && s.errorRate == 0 && s.app == "http")
    }

    static let envelope = #""schema_version":1,"agent_id":"a1","epoch":3,"seq":9,"ts":"2023-11-14T22:14:40.5Z","agent_ts":"2023-11-14T22:14:40Z""#

    @Test("escapes, unicode, key order, unknown and nested fields, duplicate keys", arguments: [
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443\/tcp","state":"UP","reason":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00"}"#,
        #"{"state":"UP","service":"10.0.0.5:443/tcp","kind":"service_state",\#(envelope),"app":"caf\u00e9 ☕ 😀"}"#,
        #"{\#(envelope),"kind":"service_state","service":"10.0.0.5:443/tcp","state":"UP","x":{"a":[1,2,{"b":[[],{}]}],"c":null},"y":[true,false,null,-1.5e-3,"s"]}"#,
        #"{\#(envelope),"kind":"service_state","service":"10.0.0.5:443/tcp","state":"UP","state":"REFUSED","seq":10}"#,
        #"{\#(envelope),"\u006bind":"service_state","service":"10.0.0.5:443/tcp","st\u0061te":"IDLE"}"#,
        #"  {"kind" : "service_state" , \#(envelope) , "service" : "10.0.0.5:443/tcp" , "state" : "UP" , "error_rate" : 0.25 }  "#,
        "\u{FEFF}{\"kind\":\"service_seen\",\(envelope),\"service\":\"h:1/t\"}",
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443/tcp","state":"UP","error_rate":1.5E-2,"seq":1e1,"epoch":2.0}"#,
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443/tcp","state":"UP","error_rate":true,"seq":true}"#,
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443/tcp","state":"UP","error_rate":null}"#,
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443/tcp","state":"UP","error_rate":"0.5"}"#,
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443/tcp","state":"UP","error_rate":0.1234567890123456789}"#,
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443/tcp","state":"UP","error_rate":123456789012345678901234.5}"#,
        #"{"kind":"edge",\#(envelope),"orig_h":"10.0.1.1","service":"10.0.0.5:443/tcp","refused":9007199254740993,"unanswered":12345678901234567890e-3}"#,
        #"{"kind":"edge",\#(envelope),"orig_h":"10.0.1.1","service":"10.0.0.5:443/tcp","refused":-9223372036854775808,"unanswered":-5,"attempts":1e3}"#,
        #"{"kind":"edge",\#(envelope),"orig_h":"10.0.1.1","service":"10.0.0.5:443/tcp","transactions":9007199254740993}"#,
        #"{"kind":"conn",\#(envelope),"service":"10.0.0.5:443/tcp","trailing":[1,],"obj":{"a":1,},}"#,
        #"{"kind":"txn",\#(envelope)}"#,
        #"{"kind":"something_new",\#(envelope),"service":12}"#,
        #"{"kind":"agent_health",\#(envelope),"n":1e308,"m":-1e-400,"z":-0,"w":0e0}"#,
        #"{"kind":"service_seen",\#(envelope),"service":"[::1]:53/udp","first_seen":"x"}"#,
        #"{"kind":"service_seen",\#(envelope),"service":"host:+80/tcp"}"#,
        #"{"kind":"service_seen",\#(envelope),"service":"h\u00f4te:80/t\u00e7p"}"#,
        #"{"kind":"service_seen",\#(envelope),"service":"h:80/٣"}"#,
        "{\"kind\":\"service_state\",\(envelope),\"\u{FEFF}service\":\"10.0.0.5:443/tcp\",\"state\":\"\u{FEFF}UP\",\"reason\":\"\u{FEFF}\u{FEFF}a\\n\u{FEFF}b\u{FEFF}\"}",
        "{\"kind\":\"service_state\",\(envelope),\"service\":\"10.0.0.5:443/tcp\",\"state\":\"\u{FEFF}UP\"}",
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443/tcp","state":"UP","error_rate":1.0000000000000000001E2}"#,
    ])
    func valid(line: String) throws {
        _ = try Self.agree(line).get()
    }

    @Test("malformed lines: same error, same message", arguments: [
        "", "x", "{", "}", "[]", "[1]", "\"s\"", "1", "null", "{,}", "{\"a\":1,,}", "{\"a\":[,]}", "{\"a\":[1,,2]}", "{\"a\":1}x", "{\"a\":1}}",
        "{\"a\":01}", "{\"a\":-}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":1e}", "{\"a\":1e+}", "{\"a\":2.e3}", "{\"a\":1e400}", "{\"a\":-1.8e308}",
        "{\"a\":tru}", "{\"a\":nulll}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\uZZZZ\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud83d\\u0041\"}", "{\"a\":\"x\ty\"}", "{\"a\u{01}\":1}", "{\u{0B}\"a\":1}", "{'a':1}", "{1:2}", "{\"a\"}", "{\"a\":}",
        "{\"a\":1 2}", "{\"a\":\"b\":1}", "\u{FEFF}\u{FEFF}{}", " \u{FEFF}{}", "{\"a\":\"unterminated}",
        "{}", #"{"schema_version":2}"#, #"{"schema_version":"1"}"#, #"{"schema_version":1.5}"#, #"{"schema_version":null}"#,
        #"{"schema_version":1,"kind":3}"#, #"{"schema_version":1,"kind":"edge","agent_id":""}"#, #"{"schema_version":1,"kind":"edge","agent_id":"a","epoch":-1}"#,
        #"{"schema_version":1,"kind":"edge","agent_id":"a","epoch":1,"seq":0}"#, #"{"schema_version":1,"kind":"edge","agent_id":"a","epoch":1,"seq":1,"ts":"yesterday"}"#,
        #"{"schema_version":1,"kind":"edge","agent_id":"a","epoch":1,"seq":1,"ts":"2023-11-14T22:14:40Z"}"#,
        #"{"schema_version":1,"kind":"edge","agent_id":"a","epoch":1,"seq":1,"ts":"2023-11-14T22:14:40Z","agent_ts":"2023-13-14T22:14:40Z"}"#,
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443/tcp","state":"up"}"#,
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443/tcp"}"#,
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5/tcp","state":"UP"}"#,
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:70000/tcp","state":"UP"}"#,
        #"{"kind":"service_state",\#(envelope),"service":"[::1:53/udp","state":"UP"}"#,
        #"{"kind":"service_state",\#(envelope),"service":"a:b:53/udp","state":"UP"}"#,
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443/","state":"UP"}"#,
        #"{"kind":"service_state",\#(envelope),"service":"10.0.0.5:443/tcp","state":"UP","reason":5}"#,
        #"{"kind":"edge",\#(envelope),"service":"10.0.0.5:443/tcp"}"#,
        #"{"kind":"edge",\#(envelope),"orig_h":"c","service":"10.0.0.5:443/tcp","attempts":1.5}"#,
        #"{"kind":"edge",\#(envelope),"orig_h":"c","service":"10.0.0.5:443/tcp","refused":9223372036854775807}"#,
        #"{"kind":"edge",\#(envelope),"orig_h":"c","service":"10.0.0.5:443/tcp","refused":"3"}"#,
        #"{"kind":"conn",\#(envelope),"service":null}"#,
        #"{"kind":"service_seen",\#(envelope)}"#,
    ])
    func malformed(line: String) {
        if case .success = Self.agree(line) { Issue.record("accepted: \(line)") }
    }

    @Test("invalid UTF-8 in a string is not a JSON object")
    func invalidUTF8() {
        for bad: [UInt8] in [[0xFF], [0xC3], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]] {
            let line = Array(#"{"kind":"x","v":""#.utf8) + bad + Array(#""}"#.utf8)
            #expect(Self.outcome(line) == .failure(LineError(line: 7, "not a JSON object")))
            Self.agree(line)
        }
    }

    @Test("nesting: 512 levels are fine, 513 are not")
    func depth() {
        for (levels, ok) in [(511, true), (512, false)] {
            let line = #"{"kind":"x",\#(Self.envelope),"a":"# + String(repeating: "[", count: levels) + String(repeating: "]", count: levels) + "}"
            let r = Self.agree(line)
            if case .success = r { #expect(ok) } else { #expect(!ok) }
        }
        // Deeper than any stack would take: an error, not a crash.
        let deep = #"{"a":"# + String(repeating: "[", count: 100_000)
        #expect(Self.outcome(Array(deep.utf8)) == .failure(LineError(line: 7, "not a JSON object")))
    }

    @Test("a batch: line numbers, CRLF, blank lines, errors among records")
    func batch() {
        let text = Self.state + "\r\n\n   \t\n{oops\n" + Lines.edge(seq: 24) + "\n" + #"{"schema_version":1}"# + "\n\r\n" + Lines.conn(seq: 3)
        let (records, errors) = RecordParser.parse(batch: Array(text.utf8))
        #expect(records.map(\.line) == [1, 5, 8])
        #expect(errors == [LineError(line: 4, "not a JSON object"), LineError(line: 6, "missing 'kind'")])
        guard case .flow(let service, let line) = records[2].body else { Issue.record("not a flow"); return }
        #expect(service == "10.0.0.5:443/tcp" && line == Lines.conn(seq: 3))
        // Any collection of bytes gives the same.
        let viaSlice = RecordParser.parse(batch: Array(text.utf8)[...])
        let viaDeque = RecordParser.parse(batch: AnyCollection(Array(text.utf8)))
        #expect(viaSlice.records == records && viaDeque.records == records && viaDeque.errors == errors)
    }

    @Test("random mutations of agent lines: no crash, same outcome as JSONSerialization")
    func mutations() {
        var rng = SplitMix64(seed: 0x5EED)
        let seeds = [Self.state, Lines.edge(seq: 24), Lines.serviceSeen(seq: 2), Lines.agentHealth(seq: 25), Lines.conn(seq: 1)].map { Array($0.utf8) }
        let tokens: [[UInt8]] = ["\\", "\"", "\\u", "\\ud83d", "{", "}", "[", "]", ",", ":", "e", "-", ".", "0", "1e999", "true", "null",
                                 "\u{FEFF}", "é", "\u{1}", " "].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xED, 0xA0, 0x80]]
        var disagreements = 0
        for _ in 0..<20_000 {
            var line = seeds[Int(rng.next() % UInt64(seeds.count))]
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(line.count + 1))
                switch rng.next() % 4 {
                case 0 where at < line.count: line[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1 where at < line.count: line.remove(at: at)
                case 2: line.insert(contentsOf: tokens[Int(rng.next() % UInt64(tokens.count))], at: at)
                default: line = Array(line[..<at])
                }
            }
            if outcomeDiffers(line) { disagreements += 1 }
        }
        #expect(disagreements == 0)
    }

    private func outcomeDiffers(_ line: [UInt8]) -> Bool {
        let new = Self.outcome(line), reference = FoundationRecordParser.outcome(line)
        if new != reference { Issue.record("differs on \(String(decoding: line, as: UTF8.self).debugDescription): \(new) vs \(reference)") }
        return new != reference
    }

    @Test("every field's key finds its slot, escaped or not; other keys none")
    func keySlots() {
        for field in RecordField.allCases {
            let key = "\(field.key)"
            #expect(Array(key.utf8).withUnsafeBytes { RecordField.slot(of: $0, escaped: false) } == field.rawValue)
            let escaped = "\\u00" + String(key.utf8.first!, radix: 16) + key.dropFirst()
            #expect(Array(escaped.utf8).withUnsafeBytes { RecordField.slot(of: $0, escaped: true) } == field.rawValue)
        }
        for other in ["", "t", "kinds", "Kind", "servicE", "resp_h", "transaction_error"] {
            #expect(Array(other.utf8).withUnsafeBytes { RecordField.slot(of: $0, escaped: false) } == nil)
        }
    }

    @Test("one field of a line (the drill-down's query_api) reads as JSONSerialization reads it", arguments: [
        #"{"query_api":"https://10.0.0.9:8443"}"#, #"{"query_api":1}"#, #"{"query_api":null}"#, #"{"a":{"query_api":"x"}}"#,
        #"{"query_api":"a","query_api":"b"}"#, #"{"query\u005fapi":"esc\u00e9"}"#, #"["query_api"]"#, #"{"query_api":"x""#,
        #"{"query_api":"x"} {}"#, "", #"{"query_api":"x",}"#, #"{"Query_api":"x"}"#, "\u{FEFF}" + #"{"query_api":"bom"}"#,
    ])
    func oneField(line: String) {
        let reference = (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["query_api"] as? String
        #expect(RecordParser.string(.queryAPI, of: line) == reference)
    }

    @Test("unescaping text the scanner did not validate does not trap", arguments: [
        (#"a\"#, Array(#"a\"#.utf8)), (#"\u12"#, [0xEF, 0xBF, 0xBD]), (#"\u00e9"#, [0xC3, 0xA9]),
        (#"\uD83D\uDE00"#, [0xF0, 0x9F, 0x98, 0x80]), (#"\uD800\u0041"#, [0xED, 0xA0, 0x80, 0x41]),
    ])
    func unescapeUnvalidated(raw: String, decoded: [UInt8]) {
        var out: [UInt8] = []
        Array(raw.utf8).withUnsafeBytes { JSONString.unescape($0, into: &out) }
        #expect(out == decoded)
    }
}
