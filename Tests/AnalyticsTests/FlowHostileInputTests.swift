import Testing
import PacketDecoding
@testable import Analytics
import VigieTestSupport

/// Random and mutated frames must never trap the engine, and the table must stay consistent.
@Suite struct FlowHostileInputTests {
    @Test func mutatedFramesNeverTrap() {
        var config = AnalyticsConfig()
        config.maxFlows = 64  // small, so eviction runs constantly
        let sink = RecordingSink()
        let analyzer = FlowAnalyzer(config: config, sink: sink)
        var rng = SplitMix64(seed: 42)
        let seeds: [[UInt8]] = [
            Build.ethernet(type: 0x0800) + Build.ipv4(proto: 6, payload: Build.tcp(flags: F.syn)),
            Build.ethernet(type: 0x0800) + Build.ipv4(proto: 6, payload: Build.tcp(flags: F.psh | F.ack, payload: Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))),
            Build.ethernet(type: 0x0800) + Build.ipv4(proto: 17, payload: Build.udp(src: 5353, dst: 53, payload: dnsMessage(id: 7, response: false))),
            Build.ethernet(type: 0x0800) + Build.ipv4(proto: 17, payload: Build.udp(payload: [1, 2, 3]), moreFragments: true),
            Build.ethernet(type: 0x86DD) + Build.ipv6(next: 6, payload: Build.tcp(flags: F.syn | F.ack) + TLSBuilder.clientHello()),
            Build.ethernet(type: 0x0800) + Build.ipv4(proto: 1, payload: Build.icmp(type: 3, code: 3, payload: Build.ipv4(proto: 17, payload: Build.udp()))),
        ]
        var t: Int64 = 1_000_000_000
        for i in 0..<60_000 {
            var frame = seeds[i % seeds.count]
            let flips = Int(rng.next() % 6)
            for _ in 0..<flips {
                let at = Int(rng.next() % UInt64(frame.count))
                frame[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 8 == 0 { frame = Array(frame.prefix(Int(rng.next() % UInt64(frame.count + 1)))) }
            // Time mostly advances, sometimes jumps or goes back.
            let r = rng.next() % 100
            t = r < 2 ? t - 1_000_000_000 : (r < 4 ? t + 400_000_000_000 : t + Int64(rng.next() % 2_000_000))
            frame.withUnsafeBytes { analyzer.process(packetBytes: $0, linkType: .ethernet, timestampNanos: t) }
        }
        analyzer.finish()
        let c = analyzer.counters
        #expect(c.packets == 60_000)
        #expect(c.activeFlows == 0)
        #expect(UInt64(sink.finals.count) == c.flowsCreated)
    }
}
