import Testing
import PacketDecoding
@testable import Analytics
import VigieTestSupport

@Suite struct ServiceStateMachineTests {
    let scenario = ServiceScenario()

    /// The requirement: a server starts, slows down, refuses, disappears, comes back, goes quiet;
    /// each transition is emitted within two windows of the change (changes at window 0, 3, 6,
    /// 8, 10 and silence from 12).
    @Test func lifecycleTransitionsWithinTwoWindows() {
        let reports = scenario.run([
            .healthy, .healthy, .healthy, .slow, .slow, .slow, .refusing, .refusing, .gone, .gone,
            .healthy, .healthy,
        ], extraWindows: 8)
        #expect(reports.transitions == [
            "UNKNOWN>UP@10",          // first window with evidence
            "UP>DEGRADED@50",         // slow from 30 s: 2 windows of hysteresis
            "DEGRADED>REFUSED@70",    // refused from 60 s: all attempts failed, 1 window
            "REFUSED>UNREACHABLE@90", // unanswered from 80 s
            "UNREACHABLE>UP@110",     // back at 100 s
            "UP>IDLE@180",            // silent from 120 s: 6 empty windows
        ])
    }

    @Test func slowdownStartingMidWindowIsStillCaughtWithinTwoWindows() {
        var events = scenario.observations(window: 0, .healthy) + scenario.observations(window: 1, .healthy)
        // From 25 s (the middle of window 2) on, slow.
        events += scenario.observations(window: 2, .healthy).filter { $0.timeNanos < ServiceScenario.t0 + 25 * ServiceScenario.second }
        events += scenario.observations(window: 2, .slow, fromSecond: 5)
        events += scenario.observations(window: 3, .slow) + scenario.observations(window: 4, .slow)
        var reports: [ServiceStateReport] = []
        let monitor = ServiceMonitor { reports.append($0) }
        scenario.feed(events, into: monitor, until: ServiceScenario.t0 + 50 * ServiceScenario.second)
        // Change at 25 s; window [20,30) already has a slow p95; decided at the end of [30,40).
        #expect(reports.transitions == ["UNKNOWN>UP@10", "UP>DEGRADED@40"])
    }

    @Test func transitionIsReportedAsSoonAsTheDecidingWindowCloses() {
        var reports: [ServiceStateReport] = []
        let monitor = ServiceMonitor { reports.append($0) }
        for o in scenario.observations(window: 0, .healthy) + scenario.observations(window: 1, .refusing) {
            monitor.observe(o)
        }
        let end = ServiceScenario.t0 + 2 * ServiceScenario.window
        monitor.advance(to: end - 1)
        #expect(reports.transitions == ["UNKNOWN>UP@10"])
        monitor.advance(to: end)
        #expect(reports.transitions == ["UNKNOWN>UP@10", "UP>REFUSED@20"])
    }

    @Test func oneSlowWindowIsAbsorbedByHysteresis() {
        let reports = scenario.run([.healthy, .healthy, .slow, .healthy, .slow, .healthy, .healthy])
        #expect(reports.transitions == ["UNKNOWN>UP@10"])
    }

    @Test func degradedNeedsTwoGoodWindowsToRecover() {
        let reports = scenario.run([.healthy, .slow, .slow, .healthy, .slow, .healthy, .healthy])
        #expect(reports.transitions == ["UNKNOWN>UP@10", "UP>DEGRADED@30", "DEGRADED>UP@70"])
    }

    @Test func errorRateDegrades() {
        // 2 errors out of 10 outcomes (5 established + 5 transactions) = 20 % > 10 %.
        let reports = scenario.run([.healthy, .failingRequests(errors: 2), .failingRequests(errors: 2)])
        #expect(reports.transitions == ["UNKNOWN>UP@10", "UP>DEGRADED@30"])
        // 1 error out of 10 = 10 %: not above the threshold.
        let mild = scenario.run([.healthy, .failingRequests(errors: 1), .failingRequests(errors: 1)])
        #expect(mild.transitions == ["UNKNOWN>UP@10"])
    }

    @Test func configurableHysteresis() {
        var config = ServiceStateConfig()
        config.defaults.windowsToDegrade = 1
        config.defaults.windowsToFail = 2
        let reports = scenario.run([.healthy, .slow, .healthy, .healthy, .refusing, .refusing], config: config)
        #expect(reports.transitions == ["UNKNOWN>UP@10", "UP>DEGRADED@20", "DEGRADED>UP@40", "UP>REFUSED@60"])
    }

    @Test func serviceOverrideRaisesTheThreshold() {
        var config = ServiceStateConfig()
        var lenient = ServiceThresholds()
        lenient.maxResponseP95Nanos = 5_000_000_000
        config.serviceOverrides["10.0.0.5:443/tcp"] = lenient
        #expect(scenario.run([.healthy, .slow, .slow, .slow], config: config).transitions == ["UNKNOWN>UP@10"])
        // Another service on the same port keeps the defaults.
        var other = scenario
        other.service.address = IPAddress(ipv4: 0x0A00_0006)
        #expect(other.run([.healthy, .slow, .slow], config: config).transitions == ["UNKNOWN>UP@10", "UP>DEGRADED@30"])
    }

    /// Thresholds replaced while running (central configuration) judge the next windows at once,
    /// through the mailbox the emitter drains: slow windows that degraded the service under the
    /// defaults are acceptable under the new override, and the service recovers.
    @Test func thresholdsReplacedWhileRunningApplyToTheNextWindows() {
        var reports: [ServiceStateReport] = []
        let monitor = ServiceMonitor { reports.append($0) }
        var events: [ServiceObservation] = scenario.observations(window: 0, .healthy)
        for w in 1...3 { events += scenario.observations(window: w, .slow) }
        scenario.feed(events, into: monitor, until: ServiceScenario.t0 + 40 * ServiceScenario.second)
        #expect(reports.transitions == ["UNKNOWN>UP@10", "UP>DEGRADED@30"])
        var set = ServiceThresholdSet()
        var lenient = ServiceThresholds()
        lenient.maxResponseP95Nanos = 5_000_000_000
        set.services["10.0.0.5:443/tcp"] = lenient
        let mailbox = ThresholdMailbox()
        mailbox.post(set)
        if let taken = mailbox.take() { monitor.replaceThresholds(taken) }
        #expect(mailbox.take() == nil, "taken once")
        var later: [ServiceObservation] = []
        for w in 4...6 { later += scenario.observations(window: w, .slow) }
        scenario.feed(later, into: monitor, until: ServiceScenario.t0 + 70 * ServiceScenario.second)
        #expect(reports.transitions == ["UNKNOWN>UP@10", "UP>DEGRADED@30", "DEGRADED>UP@60"])
        #expect(monitor.machine(for: scenario.service)?.thresholds.maxResponseP95Nanos == 5_000_000_000)
    }

    @Test func portOverrideAppliesToEveryServiceOnThePort() {
        var config = ServiceStateConfig()
        var strict = ServiceThresholds()
        strict.maxResponseP95Nanos = 1_000_000 // 1 ms: the healthy 5 ms is slow
        config.portOverrides["443/tcp"] = strict
        #expect(config.thresholds(for: scenario.service) == strict)
        #expect(scenario.run([.healthy, .healthy]).transitions == ["UNKNOWN>UP@10"])
        #expect(scenario.run([.healthy, .healthy], config: config).transitions == ["UNKNOWN>DEGRADED@10"])
    }

    @Test func tooLittleEvidenceStaysUnknown() {
        let monitor = ServiceMonitor()
        var reports: [ServiceStateReport] = []
        monitor.onReport = { reports.append($0) }
        // One connection per window: 1 outcome < minEvidence 2.
        for w in 0..<5 {
            let t = ServiceScenario.t0 + Int64(w) * ServiceScenario.window + 1000
            monitor.observe(ServiceObservation(kind: .established, timeNanos: t, client: scenario.client,
                                               service: scenario.service, latencyNanos: 1_000_000))
        }
        monitor.advance(to: ServiceScenario.t0 + 6 * ServiceScenario.window)
        #expect(reports.transitions.isEmpty)
        #expect(monitor.machine(for: scenario.service)?.state == .unknown)
    }

    @Test func idleServiceComesBackAndIsForgotten() {
        var config = ServiceStateConfig()
        config.forgetAfterNanos = 120 * ServiceScenario.second
        let reports = scenario.run([.healthy] + Array(repeating: .silent, count: 6) + [.healthy],
                                   config: config, extraWindows: 14)
        #expect(reports.transitions == ["UNKNOWN>UP@10", "UP>IDLE@70", "IDLE>UP@80", "UP>IDLE@140"])
        let monitor = ServiceMonitor(config: config)
        scenario.feed(scenario.observations(window: 0, .healthy), into: monitor,
                      until: ServiceScenario.t0 + 200 * ServiceScenario.second)
        #expect(monitor.serviceCount == 0)
        #expect(monitor.forgottenServices == 1)
    }

    @Test func heartbeatsRestateEveryServiceEachMinute() {
        let reports = scenario.run([.healthy, .healthy, .healthy, .healthy, .healthy, .healthy, .healthy],
                                   extraWindows: 6)
        let beats = reports.filter { $0.reason == .heartbeat }
        #expect(beats.map(\.summary) == ["UP>UP@60", "UP>UP@120"])
        #expect(beats[0].sinceNanos == ServiceScenario.t0 + 10 * ServiceScenario.second)
        #expect(beats[0].evidence.established == 5)
    }

    @Test func evidencePercentiles() throws {
        let reports = scenario.run([.healthy, .slow, .slow])
        let degraded = try #require(reports.first { $0.state == .degraded })
        #expect(degraded.evidence.responseP95 == 2_000_000_000)
        #expect(degraded.evidence.rttP50 == 1_000_000)
        #expect(degraded.evidence.attempts == 5 && degraded.evidence.established == 5)
    }

    @Test func longGapCostsNothingAndEndsIdle() {
        let monitor = ServiceMonitor()
        var reports: [ServiceStateReport] = []
        monitor.onReport = { reports.append($0) }
        scenario.feed(scenario.observations(window: 0, .healthy), into: monitor, until: ServiceScenario.t0 + 5 * ServiceScenario.second)
        monitor.advance(to: ServiceScenario.t0 + 86_400 * ServiceScenario.second)
        #expect(reports.transitions == ["UNKNOWN>UP@10", "UP>IDLE@70"])
    }
}
