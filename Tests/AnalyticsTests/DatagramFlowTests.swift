import Testing
import PacketDecoding
@testable import Analytics
import VigieTestSupport

@Suite struct DatagramFlowTests {
    @Test func udpAnswered() throws {
        let h = Harness()
        h.serverPort = 5000
        h.udp(true, payload: 30, ms: 0)
        h.udp(false, payload: 90, ms: 4)
        h.finish()
        let c = try #require(h.only())
        #expect(c.transport == .udp && c.connState == "SF" && c.history == "Dd")
        #expect(c.responseTimeNanos == 4_000_000)
        #expect(c.originatorBytes == 30 && c.responderBytes == 90)
        #expect(h.sink.kinds() == [.attempt, .established])
        #expect(h.sink.observations.first { $0.kind == .established }?.latencyNanos == 4_000_000)
    }

    @Test func udpUnansweredTimesOut() throws {
        let h = Harness()
        h.serverPort = 5000
        h.udp(true, ms: 0)
        h.advance(ms: 60_001)
        let c = try #require(h.only())
        #expect(c.connState == "S0" && c.endReason == "timeout")
        #expect(h.sink.kinds() == [.attempt, .unanswered])
    }

    @Test func replyFromWellKnownPortFirstIsFlipped() throws {
        let h = Harness()
        h.serverPort = 53
        h.udp(false, ms: 0)  // 10.0.0.2:53 → 10.0.0.1:40000 seen first
        h.finish()
        let c = try #require(h.only())
        #expect(c.originator == ip("10.0.0.1") && c.responderPort == 53)
        #expect(c.history == "^d" && c.connState == "SHR")
    }

    @Test func icmpUnreachableRefusesUDPAttempt() throws {
        let h = Harness()
        h.serverPort = 5000
        h.udp(true, payload: 12, ms: 0)
        // Port unreachable from the server quoting the datagram (IP header + 8 bytes).
        let quoted = Build.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17,
                                payload: Build.udp(src: 40000, dst: 5000, payload: [UInt8](repeating: 0x42, count: 12)))
        let icmp = Build.icmp(type: 3, code: 3, payload: Array(quoted.prefix(28)))
        h.feed(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.0.0.2", dst: "10.0.0.1", proto: 1, payload: icmp), ms: 1)
        h.finish()
        let c = try #require(h.only())
        #expect(c.icmpErrors == 1 && c.transport == .udp)
        #expect(h.sink.kinds() == [.attempt, .refused])
        #expect(h.analyzer.counters.icmpErrorsAttributed == 1)
    }

    @Test func icmpUnreachableRefusesTCPSYN() throws {
        let h = Harness()
        h.tcp(true, F.syn, seq: 100, ms: 0)
        let quoted = Build.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 6, payload: Build.tcp(src: 40000, dst: 80, seq: 100, flags: F.syn))
        let icmp = Build.icmp(type: 3, code: 1, payload: Array(quoted.prefix(28)))
        h.feed(Build.ethernet(type: 0x0800) + Build.ipv4(src: "192.0.2.254", dst: "10.0.0.1", proto: 1, payload: icmp), ms: 3)
        h.finish()
        let c = try #require(h.only())
        #expect(c.icmpErrors == 1 && c.connState == "S0")
        #expect(h.sink.kinds() == [.attempt, .refused])
    }

    @Test func unattributedICMPErrorIsAnICMPFlow() throws {
        let h = Harness()
        let quoted = Build.ipv4(src: "10.9.9.9", dst: "10.0.0.2", proto: 17, payload: Build.udp(src: 1, dst: 2))
        let icmp = Build.icmp(type: 3, code: 3, payload: Array(quoted.prefix(28)))
        h.feed(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.0.0.2", dst: "10.9.9.9", proto: 1, payload: icmp), ms: 0)
        h.finish()
        let c = try #require(h.only())
        #expect(c.transport == .icmp && c.originatorPort == 3 && c.responderPort == 3)
        #expect(h.analyzer.counters.icmpErrorsUnattributed == 1)
    }

    @Test func icmpEchoIsOneFlow() throws {
        let h = Harness()
        h.feed(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 1,
                                                         payload: Build.icmp(type: 8, payload: [1, 2, 3, 4])), ms: 0)
        h.feed(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.0.0.2", dst: "10.0.0.1", proto: 1,
                                                         payload: Build.icmp(type: 0, payload: [1, 2, 3, 4])), ms: 1)
        h.finish()
        let c = try #require(h.only())
        #expect(c.transport == .icmp && c.connState == "SF" && c.originatorPort == 8)
        #expect(c.originatorPackets == 1 && c.responderPackets == 1)
        #expect(c.service.id == "10.0.0.2:0/icmp")
    }

    @Test func fragmentsAreAttributedToTheirFlow() throws {
        let h = Harness()
        let udp = Build.udp(src: 40000, dst: 5000, payload: [UInt8](repeating: 7, count: 40))  // 48 bytes
        let first = Build.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17, payload: Array(udp[0 ..< 24]),
                               id: 77, moreFragments: true)
        let second = Build.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17, payload: Array(udp[24...]),
                                id: 77, fragmentOffset: 24)
        let orphan = Build.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17, payload: [1, 2, 3, 4, 5, 6, 7, 8],
                                id: 78, fragmentOffset: 24)
        h.feed(Build.ethernet(type: 0x0800) + first, ms: 0)
        h.feed(Build.ethernet(type: 0x0800) + second, ms: 0.1)
        h.feed(Build.ethernet(type: 0x0800) + orphan, ms: 0.2)
        h.finish()
        let c = try #require(h.only())
        #expect(c.fragments == 2)
        #expect(c.originatorPackets == 2)
        #expect(c.originatorIPBytes == 20 + 24 + 20 + 24)
        #expect(h.analyzer.counters.orphanFragments == 1)
    }

    @Test func evictionWhenFull() throws {
        var config = AnalyticsConfig()
        config.maxFlows = 2
        let h = Harness(config: config)
        h.serverPort = 5000
        for (i, port) in [UInt16(41000), 41001, 41002].enumerated() {
            h.clientPort = port
            h.udp(true, ms: Double(i))
        }
        #expect(h.sink.finals.count == 1)
        #expect(h.sink.finals.first?.endReason == "evicted")
        #expect(h.sink.finals.first?.originatorPort == 41000)
        #expect(h.analyzer.counters.flowsEvicted == 1)
        #expect(h.analyzer.counters.activeFlows == 2)
        h.finish()
        #expect(h.sink.finals.count == 3)
        #expect(h.analyzer.counters.activeFlows == 0)
    }

    @Test func evictionPicksTheLongestIdle() throws {
        var config = AnalyticsConfig()
        config.maxFlows = 2
        let h = Harness(config: config)
        h.serverPort = 5000
        h.clientPort = 41000; h.udp(true, ms: 0)
        h.clientPort = 41001; h.udp(true, ms: 1)
        h.clientPort = 41000; h.udp(true, ms: 2)  // 41000 active again: 41001 is now the oldest idle
        h.clientPort = 41002; h.udp(true, ms: 3)
        #expect(h.sink.finals.first?.originatorPort == 41001)
    }

    @Test func interimReportsOnLongFlows() throws {
        let h = Harness()
        h.serverPort = 5000
        for s in stride(from: 0, through: 130, by: 10) {
            h.udp(true, ms: Double(s) * 1000)
            h.udp(false, ms: Double(s) * 1000 + 1)
        }
        h.finish()
        let interims = h.sink.connections.filter(\.isInterim)
        #expect(interims.count == 2)
        #expect(interims.allSatisfy { $0.endReason == "interim" })
        // Traffic deltas add up to the final totals.
        let traffic = h.sink.observations.filter { $0.kind == .traffic }
        #expect(traffic.count == 3)
        #expect(traffic.map(\.bytesToServer).reduce(0, +) == 14 * 20)
    }

    @Test func vlansSeparateFlows() throws {
        let h = Harness()
        let payload = Build.ipv4(src: "10.0.0.1", dst: "10.0.0.2", proto: 17, payload: Build.udp(src: 40000, dst: 53))
        h.feed(Build.ethernet(type: 0x0800, tags: [(0x8100, 10)]) + payload, ms: 0)
        h.feed(Build.ethernet(type: 0x0800, tags: [(0x8100, 20)]) + payload, ms: 1)
        h.feed(Build.ethernet(type: 0x0800, tags: [(0x88A8, 10), (0x8100, 30)]) + payload, ms: 2)
        h.finish()
        let vlans = Set(h.sink.finals.map { "\($0.outerVLAN)/\($0.innerVLAN)" })
        #expect(vlans == ["10/0", "20/0", "10/30"])
    }
}
