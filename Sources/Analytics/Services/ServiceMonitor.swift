/// All the service-state machines of an agent, driven by packet time: opens and closes the
/// aligned windows, emits transitions as soon as they are decided and heartbeats on schedule.
///
/// Owned by the analytics thread; not thread-safe.
public final class ServiceMonitor {
    /// Windows, thresholds, bounds.
    public private(set) var config: ServiceStateConfig
    /// Receives every transition and heartbeat, in packet-time order.
    public var onReport: (ServiceStateReport) -> Void
    /// Observations ignored because ``ServiceStateConfig/maxServices`` services were tracked.
    public private(set) var overflowObservations: UInt64 = 0
    /// Services forgotten after ``ServiceStateConfig/forgetAfterNanos`` without activity.
    public private(set) var forgottenServices: UInt64 = 0

    private var machines: [ServiceKey: ServiceStateMachine] = [:]
    /// Start of the open window; `nil` until the first event fixes packet time.
    private var windowStart: Int64?

    public init(config: ServiceStateConfig = ServiceStateConfig(),
                onReport: @escaping (ServiceStateReport) -> Void = { _ in }) {
        self.config = config
        self.onReport = onReport
        let all = [config.defaults] + Array(config.serviceOverrides.values) + Array(config.portOverrides.values)
        maxIdleWindows = all.map(\.idleWindows).max() ?? 0
    }

    /// New thresholds (central configuration, docs/fleet.md): every tracked service judges its
    /// next window by them; its state and the windows it already counted stay.
    public func replaceThresholds(_ set: ServiceThresholdSet) {
        config.use(set)
        let all = [config.defaults] + Array(config.serviceOverrides.values) + Array(config.portOverrides.values)
        maxIdleWindows = all.map(\.idleWindows).max() ?? 0
        for (key, machine) in machines { machine.thresholds = config.thresholds(for: key) }
    }

    /// Services tracked now.
    public var serviceCount: Int { machines.count }

    /// The machine of `service`, if tracked.
    public func machine(for service: ServiceKey) -> ServiceStateMachine? { machines[service] }

    /// Adds an observation (closing any window that ended before it).
    public func observe(_ o: ServiceObservation) {
        advance(to: o.timeNanos)
        if let machine = machines[o.service] {
            machine.observe(o)
            return
        }
        guard machines.count < config.maxServices else {
            overflowObservations += 1
            return
        }
        let machine = ServiceStateMachine(
            service: o.service, thresholds: config.thresholds(for: o.service),
            maxLatencySamples: config.maxLatencySamples)
        machines[o.service] = machine
        machine.observe(o)
    }

    /// Packet time is now `nanos`: closes every window that ended at or before it.
    public func advance(to nanos: Int64) {
        let width = config.windowNanos
        guard var start = windowStart else {
            windowStart = Self.floor(nanos, width)
            return
        }
        // After a long gap only the first few empty windows can change anything (IDLE after
        // `idleWindows`); skip the rest in one step so a capture with an hour-long hole costs
        // nothing.
        let maxStep = Int64(maxIdleWindows + 2)
        var closed: Int64 = 0
        while nanos >= start + width {
            if closed == maxStep {
                start = Self.floor(nanos, width)
                break
            }
            closeWindow(start: start, end: start + width)
            start += width
            closed += 1
        }
        windowStart = start
    }

    /// The largest `idleWindows` of any thresholds in the config.
    private var maxIdleWindows: Int

    private func closeWindow(start: Int64, end: Int64) {
        // Sorted so reports come out in a reproducible order (tests, diffs of record files).
        let keys = machines.keys.sorted(by: ServiceKey.reportOrder)
        let heartbeat = end % config.heartbeatNanos == 0
        for key in keys {
            guard let machine = machines[key] else { continue }
            if let report = machine.closeWindow(start: start, end: end) { onReport(report) }
            if end - machine.lastActivityNanos >= config.forgetAfterNanos && machine.state == .idle {
                machines[key] = nil
                forgottenServices += 1
                continue
            }
            if heartbeat { onReport(machine.heartbeat(windowStart: start, windowEnd: end)) }
        }
    }

    private static func floor(_ t: Int64, _ width: Int64) -> Int64 {
        let r = t % width
        return r < 0 ? t - r - width : t - r
    }
}
