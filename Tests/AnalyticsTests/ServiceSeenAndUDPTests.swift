import Testing
import PacketDecoding
@testable import Analytics
import VigieTestSupport

@Suite struct ServiceSeenAndUDPTests {
    static let t0 = ServiceScenario.t0
    static let s = ServiceScenario.second
    let ntp = ServiceKey(address: IPAddress(ipv4: 0x0A00_007B), port: 123, transport: .udp)
    let client = IPAddress(ipv4: 0x0A00_0101)

    func flows(_ monitor: ServiceMonitor, window w: Int, answered: Bool) {
        for i in 0..<3 {
            let t = Self.t0 + Int64(w) * 10 * Self.s + Int64(i) * Self.s + 1
            monitor.observe(ServiceObservation(kind: .attempt, timeNanos: t, client: client, service: ntp))
            if answered {
                monitor.observe(ServiceObservation(kind: .traffic, timeNanos: t + 1, client: client, service: ntp,
                                                   bytesToServer: 48, bytesToClient: 48))
            } else {
                monitor.observe(ServiceObservation(kind: .unanswered, timeNanos: t + 1, client: client, service: ntp))
                monitor.observe(ServiceObservation(kind: .traffic, timeNanos: t + 1, client: client, service: ntp,
                                                   bytesToServer: 48))
            }
        }
    }

    @Test func udpServiceWithoutApplicationIsJudgedByReplies() {
        var reports: [ServiceStateReport] = []
        let monitor = ServiceMonitor { reports.append($0) }
        flows(monitor, window: 0, answered: true)
        flows(monitor, window: 1, answered: false)
        flows(monitor, window: 2, answered: true)
        monitor.advance(to: Self.t0 + 30 * Self.s)
        #expect(reports.transitions == ["UNKNOWN>UP@10", "UP>UNREACHABLE@20", "UNREACHABLE>UP@30"])
        #expect(reports[0].evidence.answered == 3)
    }

    @Test func serviceSeenFirstThenHourlyAndOnNewApplication() throws {
        let tracker = ServiceSeenTracker()
        let hour = 3600 * Self.s
        let first = try #require(tracker.note(ntp, application: .none, at: Self.t0))
        #expect(!first.isReannouncement && first.firstSeenNanos == Self.t0)
        #expect(tracker.note(ntp, application: .none, at: Self.t0 + Self.s) == nil)
        #expect(tracker.note(ntp, application: .none, at: Self.t0 + hour - 1) == nil)
        let again = try #require(tracker.note(ntp, application: .none, at: Self.t0 + hour))
        #expect(again.isReannouncement && again.firstSeenNanos == Self.t0)
        let app = try #require(tracker.note(ntp, application: .dns, at: Self.t0 + hour + 1))
        #expect(app.application == .dns)
        #expect(tracker.note(ntp, application: .none, at: Self.t0 + hour + 2) == nil)
    }

    @Test func serviceSeenIsBounded() {
        let tracker = ServiceSeenTracker(maxServices: 2)
        for i in 0..<4 {
            let key = ServiceKey(address: client, port: UInt16(i), transport: .tcp)
            _ = tracker.note(key, application: .none, at: Self.t0)
        }
        #expect(tracker.overflow == 2)
        // An hour later the old ones are pruned and new services are announced again.
        let key = ServiceKey(address: client, port: 999, transport: .tcp)
        #expect(tracker.note(key, application: .none, at: Self.t0 + 3700 * Self.s) != nil)
    }

    @Test func latencySamplesAreExactUnderCapacityAndBoundedBeyond() {
        var samples = LatencySamples()
        for v in 1...100 { samples.add(Int64(v), capacity: 1000) }
        #expect(samples.percentiles([0.5, 0.95, 0.99]) == [50, 95, 99])
        var big = LatencySamples()
        for v in 1...100_000 { big.add(Int64(v), capacity: 1000) }
        #expect(big.values.count == 1000 && big.seen == 100_000)
        let p = big.percentiles([0.5])[0]
        #expect(p > 40_000 && p < 60_000) // a uniform sample keeps the median near the true one
    }
}
