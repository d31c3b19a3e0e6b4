import Testing
import PacketDecoding
import Records
@testable import Analytics
import VigieTestSupport

@Suite struct EdgeAggregatorTests {
    let service = ServiceKey(address: IPAddress(ipv4: 0x0A00_0005), port: 5432, transport: .tcp)
    let clientA = IPAddress(ipv4: 0x0A00_0101)
    let clientB = IPAddress(ipv4: 0x0A00_0102)
    static let t0: Int64 = 1_700_000_040 * 1_000_000_000

    func obs(_ kind: ServiceObservation.Kind, _ t: Int64, _ client: IPAddress, latency: Int64 = -1,
             error: Bool = false, up: UInt64 = 0, down: UInt64 = 0, retrans: UInt32 = 0) -> ServiceObservation {
        ServiceObservation(kind: kind, timeNanos: Self.t0 + t, client: client, service: service,
                           latencyNanos: latency, isError: error, bytesToServer: up, bytesToClient: down,
                           retransmissions: retrans)
    }

    @Test func countsPerEdgeAndInterval() throws {
        var reports: [EdgeReport] = []
        let agg = EdgeAggregator { reports.append($0) }
        let s: Int64 = 1_000_000_000
        agg.observe(obs(.attempt, 1 * s, clientA))
        agg.observe(obs(.established, 1 * s + 1000, clientA, latency: 2_000_000))
        agg.observe(obs(.transaction, 2 * s, clientA, latency: 30_000_000))
        agg.observe(obs(.transaction, 3 * s, clientA, latency: 40_000_000, error: true))
        agg.observe(obs(.traffic, 4 * s, clientA, up: 100, down: 2000, retrans: 3))
        agg.observe(obs(.attempt, 5 * s, clientB))
        agg.observe(obs(.refused, 5 * s + 1, clientB))
        agg.observe(obs(.attempt, 6 * s, clientB))
        agg.observe(obs(.unanswered, 9 * s, clientB))
        agg.observe(obs(.reset, 10 * s, clientA))
        #expect(reports.isEmpty)
        agg.observe(obs(.attempt, 61 * s, clientA)) // next interval: closes the first
        #expect(reports.count == 2)
        let a = try #require(reports.first { $0.edge.client == clientA })
        #expect(a.intervalStartNanos == Self.t0 && a.intervalEndNanos == Self.t0 + 60 * s)
        #expect(a.counters.attempts == 1 && a.counters.established == 1 && a.counters.resets == 1)
        #expect(a.counters.transactions == 2 && a.counters.transactionErrors == 1)
        #expect(a.counters.bytesToServer == 100 && a.counters.bytesToClient == 2000 && a.counters.retransmissions == 3)
        #expect(a.counters.rtt.count == 1 && a.counters.responseTime.count == 2)
        #expect(a.counters.responseTime.minNanos == 30_000_000 && a.counters.responseTime.maxNanos == 40_000_000)
        let b = try #require(reports.first { $0.edge.client == clientB })
        #expect(b.counters.attempts == 2 && b.counters.refused == 1 && b.counters.unanswered == 1)
        agg.finish()
        #expect(reports.count == 3)
        #expect(reports[2].intervalStartNanos == Self.t0 + 60 * s)
    }

    @Test func edgesBeyondTheBoundAreCountedNotStored() {
        var reports: [EdgeReport] = []
        let agg = EdgeAggregator(maxEdges: 2) { reports.append($0) }
        for i in 0..<5 {
            agg.observe(obs(.attempt, Int64(i), IPAddress(ipv4: 0x0B00_0000 + UInt32(i))))
            agg.observe(obs(.attempt, Int64(i) + 1, IPAddress(ipv4: 0x0B00_0000 + UInt32(i))))
        }
        #expect(agg.edgeCount == 2)
        #expect(agg.overflowObservations == 6)
        agg.finish()
        #expect(reports.map(\.counters.attempts) == [2, 2])
    }

    @Test(arguments: [
        (Int64(0), 0), (999, 0), (1_000, 1), (1_999, 1), (2_000, 5), (3_000, 7),
        (4_000, 9), (5_000, 10), (7_999, 12), (8_000, 13), (1_000_000, 40), (1_200_000, 41),
        (1_300_000, 42), (Int64(1) << 50, 128),
    ])
    func bucketLayout(nanos: Int64, bucket: Int) {
        #expect(LatencyHistogram.bucket(ofNanos: nanos) == bucket)
        if bucket > 0 && bucket < 128 {
            let micros = Double(nanos / 1000)
            #expect(LatencyHistogram.lowerBoundMicros(bucket) <= micros)
            #expect(micros < LatencyHistogram.lowerBoundMicros(bucket + 1))
        }
    }

    @Test func bucketsAreMonotonicAndBoundsConsistent() {
        var previous = 0
        var v: Int64 = 1
        while v < Int64(1) << 45 {
            let b = LatencyHistogram.bucket(ofNanos: v)
            #expect(b >= previous)
            if b > 0 && b < 128 { #expect(LatencyHistogram.lowerBoundMicros(b) <= Double(v / 1000)) }
            previous = b
            v = v * 9 / 8 + 1
        }
    }

    @Test func quantileEstimateIsWithinTheBucketResolution() throws {
        var h = LatencyHistogram()
        #expect(h.quantileMicros(0.5) == nil)
        for v in 1...1000 { h.add(nanos: Int64(v) * 1_000_000) } // 1 ms ... 1 s
        for (q, exact) in [(0.5, 500_000.0), (0.95, 950_000.0), (0.99, 990_000.0)] {
            let estimate = try #require(h.quantileMicros(q))
            #expect(abs(estimate - exact) / exact < 0.15)
        }
        #expect(h.quantileMicros(1.0)! <= 1_000_000)
    }

    /// Merging histograms (and counters) of two halves equals aggregating the union: what a
    /// server does with edges from several agents.
    @Test(arguments: [1, 2, 3, 42])
    func mergeEqualsAggregateOfUnion(seed: UInt64) {
        var rng = seed
        func next() -> Int64 {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int64((rng >> 20) % 5_000_000_000) >> Int((rng >> 8) % 30)
        }
        var left = EdgeCounters(), right = EdgeCounters(), union = EdgeCounters()
        for i in 0..<500 {
            let kind: ServiceObservation.Kind = [.attempt, .established, .transaction, .traffic, .refused][i % 5]
            let o = obs(kind, Int64(i), clientA, latency: next(), error: i % 7 == 0,
                        up: UInt64(i), down: UInt64(2 * i), retrans: UInt32(i % 3))
            if next() % 2 == 0 { left.add(o) } else { right.add(o) }
            union.add(o)
        }
        var merged = left
        merged.merge(right)
        #expect(merged == union)
        var reversed = right
        reversed.merge(left)
        #expect(reversed == union)
        #expect(union.rtt.buckets.reduce(0) { $0 + $1.count } == union.rtt.count)
    }
}
