import Analytics
import Records
import SystemIO

extension PinTrigger {
    /// The trigger a `service_state` record asks for under `config`, nil when none: only
    /// transitions into a state of `pins.states`. `t` is the start of the deciding window, so the
    /// `before` part of the pin covers the onset.
    public static func from(_ r: ServiceStateReport, config: PinConfig) -> PinTrigger? {
        guard r.reason == .transition, r.state != r.previousState, let cls = config.pinClass(r.state.rawValue) else { return nil }
        return PinTrigger(service: r.service.id, stateClass: cls, state: r.state.rawValue, nanos: r.windowStartNanos)
    }
}

/// Connects a store's pins to the analytics of the same process: transitions reach the store
/// through the analytics' mailbox, and pin changes become `pin` records in the same outputs (record
/// files, spool) as the other records.
public enum PinWiring {
    public static func connect(store: SegmentStore, analytics: AgentAnalytics) {
        guard let keeper = store.pins else { return }
        keeper.mailbox = analytics.pinTriggers
        let records = PinRecordWriter(emitter: analytics.emitter)
        // Runs on the capture thread (the keeper's); the writer numbers records under its lock.
        keeper.onEvent = { e in
            let p = e.pin
            records.write(action: e.action.rawValue, id: p.id, from: p.from, to: p.to, reason: p.reason, service: p.service,
                          state: p.state, origin: p.origin.rawValue)
        }
    }
}
