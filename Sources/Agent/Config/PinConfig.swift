/// Incident-triggered retention (`pins:`, docs/pins.md): when a watched service turns DOWN or
/// DEGRADED, the segments around the transition are kept out of ring deletion, under a quota.
public struct PinConfig: Sendable, Hashable {
    /// The pin quota: an absolute size, or a share of `storage.quota`.
    public enum Quota: Sendable, Hashable {
        case bytes(UInt64)
        /// Percent of `storage.quota` (0 < p ≤ 100).
        case percent(Double)
    }

    /// Pin on service transitions (`pins.enabled`). API pins are honoured either way. Default true.
    public var enabled: Bool = true
    /// Packet time kept before and after the transition. Defaults 5 min and 10 min.
    public var beforeSeconds: Double = 300
    public var afterSeconds: Double = 600
    /// Most bytes pinned segments may hold (`pins.quota`). Default 25 % of `storage.quota`.
    public var quota: Quota = .percent(25)
    /// States whose transition pins (`pins.states`): `DOWN` (UNREACHABLE or REFUSED), `DEGRADED`,
    /// or any `service_state` value. Default DOWN, DEGRADED.
    public var states: [String] = ["DOWN", "DEGRADED"]

    public init() {}

    /// The names `pins.states` accepts.
    public static let stateNames: Set<String> = ["DOWN", "DEGRADED", "UP", "UNREACHABLE", "REFUSED", "IDLE", "UNKNOWN"]

    /// The pin quota in bytes for a store of `storage`.
    public func quotaBytes(storage: StorageConfig) -> UInt64 {
        switch quota {
        case .bytes(let b): return b
        case .percent(let p):
            let v = Double(storage.quotaBytes) * p / 100
            return v >= Double(UInt64.max) ? .max : UInt64(max(0, v))
        }
    }

    /// Checks the pin quota against the store: pinned segments must leave the ring two segments to
    /// rotate in, so pins never make the store exceed its quota.
    public func validate(storage: StorageConfig) throws(ConfigError) {
        if case .percent(let p) = quota, !(p > 0 && p <= 100) { throw ConfigError(option: "pins.quota", "a percentage must be more than 0 and at most 100") }
        let q = quotaBytes(storage: storage)
        let room = storage.quotaBytes > 2 * storage.segmentBytes ? storage.quotaBytes - 2 * storage.segmentBytes : 0
        if q > room {
            throw ConfigError(option: "pins.quota", "must be at most storage.quota minus two storage.segment_size (\(q) > \(room))")
        }
        if beforeSeconds < 0 { throw ConfigError(option: "pins.before", "must not be negative") }
        if afterSeconds < 0 { throw ConfigError(option: "pins.after", "must not be negative") }
        for s in states where !Self.stateNames.contains(s) {
            throw ConfigError(option: "pins.states", "'\(s)' is not one of \(Self.stateNames.sorted().joined(separator: ", "))")
        }
    }

    /// The class a service state pins as (`DOWN`, `DEGRADED`, or the state's own name), nil when
    /// `states` does not ask for it.
    public func pinClass(_ state: String) -> String? {
        let cls = state == "UNREACHABLE" || state == "REFUSED" ? "DOWN" : state
        if states.contains(cls) { return cls }
        return states.contains(state) ? state : nil
    }
}
