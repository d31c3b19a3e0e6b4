import Foundation
import Testing
import VigieTestSupport
@testable import Records

/// The `edge` window and its latency histograms (the server's metric history): the scanner-based
/// parser against the JSONSerialization reference, and what a hostile histogram gets.
@Suite("Edge window parsing")
struct EdgeWindowParserTests {
    static let envelope = #""schema_version":1,"agent_id":"a1","epoch":3,"seq":9,"ts":"2023-11-14T22:14:40.5Z","agent_ts":"2023-11-14T22:14:40Z""#
    static let head = #"{"kind":"edge",\#(envelope),"orig_h":"10.0.1.1","service":"10.0.0.5:443/tcp","interval_start":"2023-11-14T22:14:30Z","interval_end":"2023-11-14T22:14:40Z""#

    static func line(rtt: String) -> String { head + #","attempts":4,"rtt":\#(rtt)}"# }

    @Test("the agent's edge line: counters, bounds and both histograms")
    func agentLine() throws {
        let r = try RecordParserTests.agree(Lines.edge(seq: 3)).get()
        guard case .edge(let e) = r.body, let w = e.window?.sums, let bounds = e.window else { Issue.record("no window in \(r.body)"); return }
        #expect(bounds.end - bounds.start == 60)
        #expect(w.attempts == 30 && w.established == 20 && w.refused == 5 && w.unanswered == 5 && w.transactions == 20)
        #expect(w.rtt.count == 20 && w.rtt.count(inBucket: 40) == 20 && w.rtt.minNanos == 1_000_000 && w.rtt.sumNanos == 20_000_000)
        #expect(w.responseTime.count == 20 && w.responseTime.count(inBucket: 49) == 10 && w.responseTime.count(inBucket: 84) == 10)
        #expect(w.responseTime.maxNanos == 2_000_000_000)
    }

    @Test("histograms, well formed or hostile, parse as with JSONSerialization", arguments: [
        #"{"layout":"log2x4-us","count":3,"sum_us":30,"min_us":1,"max_us":20,"buckets":[[0,1],[5,1],[128,1]]}"#,
        #"{"count":0}"#,
        #"{"count":2,"buckets":[[1,true],[2,false]],"min_us":true}"#,
        #"{"count":1,"buckets":[[-0,1]]}"#,
        #"{"count":1,"buckets":[[1.0,1e0]]}"#,
        #"{"count":1,"buckets":[[1.5,1]]}"#,
        #"{"count":1,"buckets":[[129,1]]}"#,
        #"{"count":1,"buckets":[[5,1],[4,1]]}"#,
        #"{"count":1,"buckets":[[5,1],[5,1]]}"#,
        #"{"count":1,"buckets":[[5,1,2]]}"#,
        #"{"count":1,"buckets":[[5]]}"#,
        #"{"count":1,"buckets":[[]]}"#,
        #"{"count":1,"buckets":[5,1]}"#,
        #"{"count":1,"buckets":[[5,[1]]]}"#,
        #"{"count":1,"buckets":[[5,null]]}"#,
        #"{"count":1,"buckets":[["5",1]]}"#,
        #"{"count":1,"buckets":[{"5":1}]}"#,
        #"{"count":1,"buckets":{}}"#,
        #"{"count":-1}"#,
        #"{"count":18446744073709551615,"sum_us":18446744073709551615,"max_us":18446744073709551615}"#,
        #"{"count":1e30}"#,
        #"{"layout":"linear","count":1}"#,
        #"{"layout":1,"count":1}"#,
        #"{"sum_us":1}"#,
        #"{"count":"1"}"#,
        #"[1,2]"#,
        #""rtt""#,
        #"null"#,
        #"{"count":1,"count":2,"buckets":[[1,1]],"buckets":[[2,2]]}"#,
        #"{ "count" : 1 , "buckets" : [ [ 1 , 1 ] , [ 2 , 2 ] , ] }"#,
    ])
    func histograms(rtt: String) {
        RecordParserTests.agree(Self.line(rtt: rtt))
    }

    @Test("more pairs than the layout has buckets are refused")
    func tooManyPairs() {
        let pairs = (0..<130).map { "[\($0 % 129),1]" }.joined(separator: ",")
        let r = RecordParserTests.agree(Self.line(rtt: #"{"count":130,"buckets":[\#(pairs)]}"#))
        guard case .failure(let e) = r else { Issue.record("accepted"); return }
        #expect(e.message.contains("'rtt' is not a log2x4-us latency histogram"))
    }

    @Test("window bounds: both or none, RFC 3339, end not before start", arguments: [
        (#","interval_start":"2023-11-14T22:14:30Z""#, "missing 'interval_end'"),
        (#","interval_end":"2023-11-14T22:14:30Z""#, "missing 'interval_start'"),
        (#","interval_start":"yesterday","interval_end":"2023-11-14T22:14:30Z""#, "'interval_start': 'yesterday' is not an RFC 3339 UTC time"),
        (#","interval_start":"2023-11-14T22:14:30Z","interval_end":"2023-11-14T22:14:20Z""#, "at or after interval_start"),
        (#","interval_start":"2023-11-14T22:14:30Z","interval_end":5"#, "'interval_end' must be a string"),
    ])
    func bounds(fields: String, message: String) {
        let line = #"{"kind":"edge",\#(Self.envelope),"orig_h":"10.0.1.1","service":"10.0.0.5:443/tcp""# + fields + "}"
        let r = RecordParserTests.agree(line)
        guard case .failure(let e) = r else { Issue.record("accepted \(line)"); return }
        #expect(e.message.contains(message))
    }

    @Test("an edge without bounds has no window and still counts as a dependency")
    func noWindow() throws {
        let r = try RecordParserTests.agree(#"{"kind":"edge",\#(Self.envelope),"orig_h":"10.0.1.1","service":"10.0.0.5:443/tcp","attempts":2}"#).get()
        guard case .edge(let e) = r.body else { Issue.record("not an edge"); return }
        #expect(e.window == nil && e.attempts == 2)
    }

    @Test("saturated counts merge and rank without trapping")
    func saturation() throws {
        // 2^63: the largest power of two a JSON number (a double) holds exactly as a count.
        let text = #"{"count":9223372036854775808,"max_us":5,"buckets":[[3,9223372036854775808]]}"#
        let r = try RecordParserTests.agree(Self.line(rtt: text)).get()
        guard case .edge(let e) = r.body, var h = e.window?.sums.rtt else { Issue.record("no histogram"); return }
        h.merge(h)
        #expect(h.count == .max && h.count(inBucket: 3) == .max)
        #expect(h.quantileMicros(0.99) != nil)
    }
}
