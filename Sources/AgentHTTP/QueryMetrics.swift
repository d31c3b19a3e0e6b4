import CoreMetrics

/// The extraction figures of the agent's API, counted as each query ends (swift-metrics).
struct QueryMetrics: Sendable {
    private let served: CoreMetrics.Counter
    private let refused: CoreMetrics.Counter
    private let failed: CoreMetrics.Counter
    private let duration: CoreMetrics.Timer
    private let packets: CoreMetrics.Counter
    private let bytes: CoreMetrics.Counter

    init(factory: any MetricsFactory) {
        func outcome(_ o: String) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: "vigie_agent_queries_total", dimensions: [("outcome", o)], factory: factory)
        }
        served = outcome("served")
        refused = outcome("refused")
        failed = outcome("failed")
        duration = CoreMetrics.Timer(label: "vigie_agent_query_duration_seconds", dimensions: [], factory: factory)
        packets = CoreMetrics.Counter(label: "vigie_agent_query_packets_total", dimensions: [], factory: factory)
        bytes = CoreMetrics.Counter(label: "vigie_agent_query_bytes_total", dimensions: [], factory: factory)
    }

    func refusal() { refused.increment() }

    /// An extraction that ran: `seconds` from the request to the last byte.
    func ran(packets p: UInt64, bytes b: UInt64, seconds: Double, failed didFail: Bool) {
        (didFail ? failed : served).increment()
        duration.recordNanoseconds(Int64(max(0, seconds) * 1e9))
        packets.increment(by: Int64(clamping: p))
        bytes.increment(by: Int64(clamping: b))
    }
}
