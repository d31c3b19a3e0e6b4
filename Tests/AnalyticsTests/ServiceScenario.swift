import PacketDecoding
@testable import Analytics
import VigieTestSupport

/// Builds scripted observation sequences for one service, window by window.
struct ServiceScenario {
    static let t0: Int64 = 1_700_000_040 * 1_000_000_000 // a multiple of 10 s and of 60 s
    static let second: Int64 = 1_000_000_000
    static let window: Int64 = 10 * second

    var service = ServiceKey(address: IPAddress(ipv4: 0x0A00_0005), port: 443, transport: .tcp)
    var client = IPAddress(ipv4: 0x0A00_0101)

    /// What the service does during one window.
    enum Behaviour {
        case healthy, slow, refusing, silent, gone, failingRequests(errors: Int)
    }

    /// Observations of window `w` (relative to t0): 5 connections spread over the window, or
    /// starting at `fromSecond` within the window.
    func observations(window w: Int, _ b: Behaviour, fromSecond: Int = 0) -> [ServiceObservation] {
        var out: [ServiceObservation] = []
        for i in 0..<5 {
            let t = Self.t0 + Int64(w) * Self.window + Int64(fromSecond) * Self.second
                + Int64(i) * (Self.window - Int64(fromSecond) * Self.second) / 5 + 1000
            func obs(_ k: ServiceObservation.Kind, _ dt: Int64, latency: Int64 = -1, error: Bool = false) {
                out.append(ServiceObservation(kind: k, timeNanos: t + dt, client: client, service: service,
                                              application: .http, latencyNanos: latency, isError: error))
            }
            switch b {
            case .healthy:
                obs(.attempt, 0); obs(.established, 1_000_000, latency: 1_000_000)
                obs(.transaction, 10_000_000, latency: 5_000_000)
            case .slow:
                obs(.attempt, 0); obs(.established, 1_000_000, latency: 1_000_000)
                obs(.transaction, 10_000_000, latency: 2_000_000_000)
            case let .failingRequests(errors):
                obs(.attempt, 0); obs(.established, 1_000_000, latency: 1_000_000)
                obs(.transaction, 10_000_000, latency: 5_000_000, error: i < errors)
            case .refusing:
                obs(.attempt, 0); obs(.refused, 100_000)
            case .gone:
                obs(.attempt, 0); obs(.unanswered, 1_000_000)
            case .silent:
                break
            }
        }
        return out
    }

    /// Runs `script` (one behaviour per window) through a monitor, with a clock tick every
    /// second like the flow tracker's; returns every report.
    func run(_ script: [Behaviour], config: ServiceStateConfig = ServiceStateConfig(),
             extraWindows: Int = 0) -> [ServiceStateReport] {
        var reports: [ServiceStateReport] = []
        let monitor = ServiceMonitor(config: config) { reports.append($0) }
        var events: [ServiceObservation] = []
        for (w, b) in script.enumerated() { events += observations(window: w, b) }
        feed(events, into: monitor, until: Self.t0 + Int64(script.count + extraWindows) * Self.window)
        return reports
    }

    func feed(_ events: [ServiceObservation], into monitor: ServiceMonitor, until end: Int64) {
        var next = 0
        let sorted = events.sorted { $0.timeNanos < $1.timeNanos }
        var tick = Self.t0
        while tick <= end {
            while next < sorted.count && sorted[next].timeNanos < tick { monitor.observe(sorted[next]); next += 1 }
            monitor.advance(to: tick)
            tick += Self.second
        }
    }
}

extension ServiceStateReport {
    /// `PREVIOUS>STATE@seconds-after-t0` (window end) for compact expectations.
    var summary: String {
        "\(previousState.rawValue)>\(state.rawValue)@\((windowEndNanos - ServiceScenario.t0) / ServiceScenario.second)"
    }
}

extension Array where Element == ServiceStateReport {
    var transitions: [String] { filter { $0.reason == .transition }.map(\.summary) }
}
