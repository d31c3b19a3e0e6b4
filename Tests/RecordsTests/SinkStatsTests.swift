import Foundation
import Records
import Testing

@Suite struct SinkStatsTests {
    @Test("sink counters round-trip through JSON; a counter an older agent did not write reads 0")
    func decodesOlderStatus() throws {
        var stats = SinkStats(name: "http")
        stats.delivered = 7; stats.retried = 3; stats.deadLettered = 2; stats.authFailures = 5; stats.pending = 9
        stats.lastError = "HTTP 401: {}"
        #expect(try JSONDecoder().decode(SinkStats.self, from: JSONEncoder().encode(stats)) == stats)
        let older = #"{"name":"http","delivered":7,"retried":3,"deadLettered":2,"pending":9}"#
        let decoded = try JSONDecoder().decode(SinkStats.self, from: Data(older.utf8))
        #expect(decoded.authFailures == 0 && decoded.delivered == 7 && decoded.pending == 9 && decoded.lastError == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SinkStats.self, from: Data(#"{"delivered":1}"#.utf8)) }
    }
}
