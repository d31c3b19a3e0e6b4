import Foundation
import Testing
import VigieTestSupport
@testable import Correlation

@Suite("Correlation store")
struct StoreTests {
    @Test("rows bound through the C API read back as written: empty text, NULL, unicode, extremes")
    func roundTrip() throws {
        let store = try SQLiteStore(directory: Support.temporaryDirectory("store"))
        var b = StoreBatch()
        b.flows = [FlowRecord(agent: "a", kind: "conn", service: nil, ts: 1.5, line: ""),
                   FlowRecord(agent: "ägent 😀", kind: "txn", service: "10.0.0.5:443/tcp", ts: -2, line: #"{"x":"\n"}"#)]
        b.views = [AgentView(agent: "a", service: "s:1/t", state: .refused, updated: 3.25, ts: 4, epoch: .max, seq: .min)]
        b.history = [HistoryEntry(node: "web", at: 7, state: .down, previous: nil, causes: ["a/b", "q\"x"]),
                     HistoryEntry(node: "web", at: 8, state: .ok, previous: .down, causes: [])]
        try store.write(b)
        let flows = try store.flows(service: nil).sorted { $0.ts < $1.ts }
        #expect(flows == b.flows.sorted { $0.ts < $1.ts })
        #expect(try store.load().views == b.views)
        #expect(try store.history(node: "web") == b.history.reversed())
    }

    @Test("JSON string arrays as the store writes them decode like JSONEncoder's")
    func storeStrings() throws {
        for causes in [[], ["a"], ["10.0.0.5:443/tcp", "edge-paris-01"], ["q\"b\\s/\n\r\t\u{8}\u{C}\u{1}\u{1F}é😀"]] {
            let text = SQLiteStore.jsonStrings(causes)
            #expect(try JSONDecoder().decode([String].self, from: Data(text.utf8)) == causes)
            #expect(text == (try SQLiteStore.json(causes)) || causes.contains { $0.unicodeScalars.contains { $0.value < 0x20 } })
        }
    }
}
