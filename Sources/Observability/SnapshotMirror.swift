import CoreMetrics
import Synchronization

/// Publishes through swift-metrics the counters a component keeps itself.
///
/// The per-packet path counts in plain integers owned by its thread (no atomics, no locks: see
/// docs/metrics.md "Cost"); about once a second, and at each scrape, a snapshot of them is handed
/// here. A cumulative total becomes a swift-metrics `Counter` incremented by the difference since
/// the last snapshot; a level becomes a gauge. A total lower than the last one (the component was
/// restarted under a process that kept running) counts from zero again.
public final class SnapshotMirror: Sendable {
    private let factory: any MetricsFactory
    private let state = Mutex(State())

    private struct Key: Hashable {
        var name: String
        var labels: [String]
        init(_ name: String, _ labels: [(String, String)]) {
            self.name = name
            self.labels = labels.flatMap { [$0.0, $0.1] }
        }
    }

    private struct State: ~Copyable {
        var counters: [Key: (counter: CoreMetrics.Counter, last: UInt64)] = [:]
        var seconds: [Key: (counter: CoreMetrics.FloatingPointCounter, last: Double)] = [:]
        var gauges: [Key: CoreMetrics.Meter] = [:]
    }

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// A cumulative count (`..._total`).
    public func total(_ name: String, _ value: UInt64, labels: [(String, String)] = []) {
        let key = Key(name, labels)
        state.withLock { s in
            let entry = s.counters[key] ?? (CoreMetrics.Counter(label: name, dimensions: labels, factory: factory), 0)
            let delta = value >= entry.last ? value - entry.last : value
            if delta > 0 { entry.counter.increment(by: Int64(clamping: delta)) }
            s.counters[key] = (entry.counter, value)
        }
    }

    /// A cumulative duration in seconds (`..._seconds_total`).
    public func total(_ name: String, seconds value: Double, labels: [(String, String)] = []) {
        let key = Key(name, labels)
        state.withLock { s in
            let entry = s.seconds[key] ?? (CoreMetrics.FloatingPointCounter(label: name, dimensions: labels, factory: factory), 0)
            let delta = value >= entry.last ? value - entry.last : value
            if delta > 0, delta.isFinite { entry.counter.increment(by: delta) }
            s.seconds[key] = (entry.counter, value)
        }
    }

    /// A level: bytes held, entries active, a time stamp.
    public func gauge(_ name: String, _ value: Double, labels: [(String, String)] = []) {
        let key = Key(name, labels)
        let meter = state.withLock { s in
            if let m = s.gauges[key] { return m }
            let m = CoreMetrics.Meter(label: name, dimensions: labels, factory: factory)
            s.gauges[key] = m
            return m
        }
        meter.set(value.isFinite ? value : 0)
    }

    public func gauge(_ name: String, _ value: UInt64, labels: [(String, String)] = []) {
        gauge(name, Double(value), labels: labels)
    }
}
