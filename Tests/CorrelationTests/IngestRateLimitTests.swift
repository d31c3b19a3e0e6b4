import Foundation
import Testing
import VigieTestSupport
@testable import Correlation
@testable import ServerHTTP

@Suite("Ingest rate limit per agent")
struct IngestRateLimitTests {
    @Test("token bucket: bursts up to the capacity, refill at the rate, agents independent, oversized batch on a full bucket")
    func bucket() {
        let clock = TestClock()
        let limiter = IngestRateLimiter(recordsPerSecond: 100, burstSeconds: 10, clock: clock.function)
        #expect(limiter.admit(agent: "a", records: 600) == nil)
        #expect(limiter.admit(agent: "a", records: 400) == nil)       // 1000 = the whole burst
        #expect(limiter.admit(agent: "a", records: 50) == 0.5)        // empty: 50 records need 0.5 s
        #expect(limiter.admit(agent: "b", records: 1000) == nil)      // another agent is not affected
        clock.advance(1)
        #expect(limiter.admit(agent: "a", records: 100) == nil)       // refilled 100
        #expect(limiter.admit(agent: "a", records: 1) != nil)
        clock.advance(60)
        #expect(limiter.admit(agent: "a", records: 5000) == nil)      // larger than the burst, bucket full: admitted
        #expect(abs((limiter.admit(agent: "a", records: 10) ?? 0) - 40.1) < 1e-9)   // then the debt (4000) delays the next
        let counts = limiter.throttledCounts()
        #expect(counts.map(\.agent) == ["a"])
        #expect(counts.first?.batches == 3)
        #expect(counts.first?.records == 61)
        #expect(IngestRateLimiter.lineCount(Array("a\nb\nc".utf8)) == 3)
        #expect(IngestRateLimiter.lineCount(Array("a\nb\n".utf8)) == 2)
        #expect(IngestRateLimiter.lineCount([]) == 0)
    }

    @Test("a flooding agent gets 429 with Retry-After and nothing applied; another agent goes on; counted in /metrics",
          .enabled(if: HTTPFixture.hasTool("curl") && HTTPFixture.hasTool("gzip"), "needs curl and gzip"))
    func server() throws {
        let f = try HTTPFixture(arguments: ["--agent-rate-limit", "0.5", "--token", "edge-lyon-01=other"])
        // 0.5 record/s, bursts of 10 s: 5 records; one more needs 2 s of refill.
        let burst = (1...5).map { Lines.serviceState(seq: Int64($0), state: "UP") }
        #expect(try f.post(burst).status == 200)
        let over = try f.post([Lines.serviceState(seq: 6, state: "REFUSED")])
        #expect(over.status == 429, "\(over.body)")
        #expect(over.body.contains("edge-paris-01") && over.body.contains("retry after"))
        let node = try f.jsonObject(try f.get("/api/v1/nodes/10.0.0.5:443/tcp").body)
        #expect((node["status"] as? [String: Any])?["state"] as? String == "OK")   // the REFUSED record was not applied
        let other = try f.post([Lines.serviceState(agent: "edge-lyon-01", seq: 1, service: "10.0.0.7:5432/tcp", state: "UP")], token: "other")
        #expect(other.status == 200)
        let metrics = try f.get("/metrics").body
        #expect(metrics.contains(#"vigie_server_ingest_throttled_batches_total{agent="edge-paris-01"} 1"#))
        #expect(metrics.contains(#"vigie_server_ingest_throttled_records_total{agent="edge-paris-01"} 1"#))
    }
}
