import Foundation
import Testing
import PacketDecoding
import Records
@testable import Analytics
import VigieTestSupport

/// Overload and hostile traffic on the sharded analytics: shedding is counted and said, and a flood
/// of one-packet flows keeps the shared flow table within its limit.
@Suite struct ShardedOverloadTests {
    /// `count` SYNs from random sources to a few services, 100 µs apart.
    static func synFlood(_ count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        return (0 ..< count).map { _ in
            let r = rng.next()
            let src = "10.\((r >> 8) & 0xFF).\((r >> 16) & 0xFF).\((r >> 24) & 0xFF)"
            let dst = "192.0.2.\(1 + (r >> 32) % 4)"
            return Build.ethernet(type: 0x0800) + Build.ipv4(src: src, dst: dst, proto: 6,
                                                              payload: Build.tcp(src: UInt16(1024 + (r >> 40) % 60000), dst: 443, flags: 0x002))
        }
    }

    static func run(_ frames: [[UInt8]], config: ShardedAnalyticsConfig, analytics: AnalyticsConfig = AnalyticsConfig())
        -> (ShardedAnalytics, CollectingOutput) {
        let output = CollectingOutput()
        var emitterConfig = RecordEmitterConfig(agentID: "overload-test", epoch: 1)
        emitterConfig.services.windowNanos = 1_000_000_000
        let emitter = RecordEmitter(config: emitterConfig, output: output, agentClock: { 0 })
        let sharded = ShardedAnalytics(config: config, analytics: analytics, emitter: emitter, agentClock: { 0 })
        let t0: Int64 = 1_700_000_000_000_000_000
        for (i, frame) in frames.enumerated() {
            frame.withUnsafeBytes { sharded.packet($0, linkType: .ethernet, timestampNanos: t0 + Int64(i) * 100_000, segmentID: -1) }
        }
        sharded.finish()
        return (sharded, output)
    }

    /// Live mode with workers not yet running and a small ring: the ring fills and analytics sheds.
    /// Every packet is either analysed or counted as shed, `agent_health` says how many, and the
    /// windows and intervals that lost packets are marked incomplete.
    @Test func aFullRingShedsFromAnalyticsAndSaysSo() throws {
        let frames = Self.synFlood(20_000, seed: 1)
        var config = ShardedAnalyticsConfig()
        config.workers = 2
        config.ringBytes = 64 << 10
        config.waitWhenFull = false
        config.startsSuspended = true
        let (sharded, output) = Self.run(frames, config: config)
        let c = sharded.counters
        #expect(c.shedRingFull > 0)
        #expect(c.dispatched + c.shedRingFull + c.shedTooLarge == UInt64(frames.count))
        let snapshot = sharded.snapshot
        #expect(snapshot.flows.packets == c.dispatched, "workers analysed exactly what they were given")
        #expect(sharded.shed.ringFull == c.shedRingFull)
        let objects = try output.objects()
        let health = try #require(objects.last { ($0["kind"] as? String) == "agent_health" })
        let shed = try #require(health["analytics_shed"] as? [String: Any])
        #expect((shed["ring_full"] as? Int) == Int(c.shedRingFull))
        #expect((health["packets_dropped_agent"] as? Int) == Int(c.shedRingFull))
        let windowed = objects.filter { ["edge", "service_state"].contains($0["kind"] as? String) }
        #expect(windowed.contains { ($0["incomplete"] as? Bool) == true }, "a window that lost packets says so")
    }

    /// File replay (the default): a full ring makes the capture thread wait; nothing is shed.
    @Test func replayWaitsInsteadOfShedding() {
        let frames = Self.synFlood(20_000, seed: 2)
        var config = ShardedAnalyticsConfig()
        config.workers = 2
        config.ringBytes = 64 << 10
        let (sharded, output) = Self.run(frames, config: config)
        #expect(sharded.counters.shedRingFull == 0 && sharded.counters.dispatched == UInt64(frames.count))
        #expect(!output.lines.contains { String(decoding: $0, as: UTF8.self).contains("\"incomplete\"") })
    }

    /// A SYN flood of random sources, each packet a new flow, against a 1,024-flow limit shared by
    /// 2 workers: the open flows never pass the limit by more than one per worker, the excess is
    /// evicted and counted, and every created flow still gets its record. (At the end one worker
    /// may finish first and give its share back while the other still creates flows: the shutdown
    /// count is not bounded by the limit, the open count is.)
    @Test func synFloodStaysWithinTheSharedFlowLimit() throws {
        let frames = Self.synFlood(30_000, seed: 3)
        var config = ShardedAnalyticsConfig()
        config.workers = 2
        var analytics = AnalyticsConfig()
        analytics.maxFlows = 1024
        analytics.unansweredSYNTimeoutNanos = 60_000_000_000  // nothing expires: only the limit frees flows
        let output = CollectingOutput()
        let emitter = RecordEmitter(config: RecordEmitterConfig(agentID: "flood", epoch: 1), output: output, agentClock: { 0 })
        let sharded = ShardedAnalytics(config: config, analytics: analytics, emitter: emitter, agentClock: { 0 })
        let t0: Int64 = 1_700_000_000_000_000_000
        for (i, frame) in frames.enumerated() {
            frame.withUnsafeBytes { sharded.packet($0, linkType: .ethernet, timestampNanos: t0 + Int64(i) * 100_000, segmentID: -1) }
        }
        sharded.finish()
        let flows = sharded.snapshot.flows
        let peak = try #require(sharded.peakOpenFlows)
        #expect(peak >= 1024 && peak <= 1024 + 2, "open flows peaked at \(peak)")
        #expect(flows.flowsEvicted > 25_000, "evicted \(flows.flowsEvicted) of \(flows.flowsCreated)")
        #expect(flows.flowsCreated + flows.untrackedPackets == 30_000)
        let conns = try output.objects().filter { ($0["kind"] as? String) == "conn" }
        #expect(UInt64(conns.count) == flows.flowsCreated)
        let reasons = Dictionary(grouping: conns, by: { $0["end_reason"] as? String ?? "" }).mapValues(\.count)
        #expect(reasons["evicted", default: 0] + reasons["shutdown", default: 0] == conns.count, "end reasons: \(reasons)")
    }
}
