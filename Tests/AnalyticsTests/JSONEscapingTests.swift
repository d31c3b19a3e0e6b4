import Foundation
import Testing
@testable import Analytics
import VigieTestSupport

@Suite struct JSONEscapingTests {
    static let hostile: [String] = [
        "plain.example.com",
        "quo\"te\\back\\\"slash",
        "ctl\u{0}\u{1}\u{8}\u{B}\u{C}\u{1F}\u{7F}\n\r\t",
        String(decoding: [0x61, 0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0x62], as: UTF8.self), // invalid UTF-8
        "line\u{2028}sep\u{2029}para",
        "émoji 🧭 ünïcödé 中文",
        "</script><!--",
        "",
    ]

    @Test(arguments: hostile)
    func hostileNamesRoundTrip(name: String) throws {
        let output = CollectingOutput()
        let emitter = RecordEmitter(config: RecordEmitterConfig(agentID: name.isEmpty ? "a" : name, epoch: 1),
                                    output: output)
        emitter.transaction(RecordFixtures.txn(id: 1, at: RecordFixtures.t0, app: .dns, error: true, name: name))
        emitter.transaction(RecordFixtures.txn(id: 2, at: RecordFixtures.t0, app: .http, error: true, name: name))
        emitter.connection(RecordFixtures.conn(id: 3, at: RecordFixtures.t0, dnsName: name, host: name))
        let objects = try output.objects()
        #expect(objects.count == 3)
        #expect(objects[0]["dns_qname"] as? String == name)
        #expect(objects[1]["http_host"] as? String == name)
        if !name.isEmpty {
            #expect(objects[2]["http_host"] as? String == name)
            #expect(objects[2]["agent_id"] as? String == name)
        }
        for line in output.lines {
            // One record per line: no raw newline or control byte inside.
            #expect(line.last == 0x0A)
            #expect(!line.dropLast().contains { $0 < 0x20 || $0 == 0x7F })
        }
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000000Z"),
        (1_700_000_000_123_456_789, "2023-11-14T22:13:20.123456789Z"),
        (951_782_400_000_000_001, "2000-02-29T00:00:00.000000001Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (4_102_444_799_999_999_999, "2099-12-31T23:59:59.999999999Z"),
    ])
    func rfc3339(nanos: Int64, text: String) {
        #expect(RFC3339.string(nanos) == text)
    }

    @Test func numbersAndNesting() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("min", Int64.min)
        w.field("max", UInt64.max)
        w.field("rate", 0.125)
        w.field("neg", -2.5)
        w.field("third", 1.0 / 3.0)
        w.key("list")
        w.beginArray(); w.value(1); w.beginArray(); w.endArray(); w.value("x"); w.endArray()
        w.key("empty"); w.beginObject(); w.endObject()
        w.endObject()
        let text = String(decoding: w.bytes, as: UTF8.self)
        #expect(text == #"{"min":-9223372036854775808,"max":18446744073709551615,"rate":0.125,"neg":-2.5,"third":0.333333,"list":[1,[],"x"],"empty":{}}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(w.bytes)) is [String: Any])
    }
}
