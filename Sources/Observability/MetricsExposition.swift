import CoreMetrics
import Prometheus
import Synchronization

/// A process's metrics: the swift-prometheus registry that renders the text exposition, and the
/// swift-metrics factory the components are given to create their counters with.
///
/// Tests run agent and server code in one process, so nothing here touches swift-metrics' global
/// bootstrap: each component receives ``factory`` explicitly, and only the executables bootstrap
/// the global system with it (for libraries that use the global one).
public final class MetricsExposition: Sendable {
    /// `Content-Type` of ``render()``: Prometheus text format 0.0.4, which every scraper reads
    /// whatever it asked for in `Accept`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public let registry: PrometheusCollectorRegistry
    public let factory: any MetricsFactory
    /// Work done just before a render (mirroring counters kept elsewhere), in order.
    private let beforeRender = Mutex<[@Sendable () -> Void]>([])
    /// One render at a time: a scrape storm queues here instead of racing the mirrors.
    private let renderLock = Mutex(())

    /// `catalog` gives the help texts; names outside it are exposed without one.
    public init(catalog: [MetricDefinition]) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        var prometheus = PrometheusMetricsFactory(registry: registry)
        // Query and request durations: from 1 ms to 1 min.
        prometheus.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
            .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        ]
        factory = DescribedMetricsFactory(base: prometheus, catalog: catalog)
    }

    /// Runs `refresh` before every render (for counters mirrored from a snapshot).
    public func onRender(_ refresh: @escaping @Sendable () -> Void) {
        beforeRender.withLock { $0.append(refresh) }
    }

    /// The text exposition of every metric created through ``factory``.
    public func render() -> [UInt8] {
        renderLock.withLock { _ in
            for refresh in beforeRender.withLock({ $0 }) { refresh() }
            return registry.emitToBuffer()
        }
    }
}

/// swift-prometheus' factory, with the help text of each metric taken from the catalog (the
/// factory alone emits no `# HELP`).
struct DescribedMetricsFactory: MetricsFactory {
    let base: PrometheusMetricsFactory
    let help: [String: String]

    init(base: PrometheusMetricsFactory, catalog: [MetricDefinition]) {
        self.base = base
        help = Dictionary(catalog.map { ($0.name, $0.help) }, uniquingKeysWith: { a, _ in a })
    }

    private func descriptor(_ label: String) -> MetricNameDescriptor? {
        help[label].map { MetricNameDescriptor(metricName: label, unitName: "", helpText: $0) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let d = descriptor(label) else { return base.makeCounter(label: label, dimensions: dimensions) }
        return base.registry.makeCounter(descriptor: d, labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let d = descriptor(label) else { return base.makeFloatingPointCounter(label: label, dimensions: dimensions) }
        return base.registry.makeCounter(descriptor: d, labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard let d = descriptor(label) else { return base.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate) }
        guard aggregate else { return base.registry.makeGauge(descriptor: d, labels: dimensions) }
        return base.registry.makeValueHistogram(descriptor: d, labels: dimensions,
                                                buckets: base.valueHistogramBuckets[label] ?? base.defaultValueHistogramBuckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let d = descriptor(label) else { return base.makeMeter(label: label, dimensions: dimensions) }
        return base.registry.makeGauge(descriptor: d, labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let d = descriptor(label) else { return base.makeTimer(label: label, dimensions: dimensions) }
        return base.registry.makeDurationHistogram(descriptor: d, labels: dimensions,
                                                   buckets: base.durationHistogramBuckets[label] ?? base.defaultDurationHistogramBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) { base.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { base.destroyFloatingPointCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { base.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { base.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { base.destroyTimer(handler) }
}
