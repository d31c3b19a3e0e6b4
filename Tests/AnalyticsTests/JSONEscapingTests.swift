import Foundation
import Testing
@testable import Analytics
import Records
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
}
