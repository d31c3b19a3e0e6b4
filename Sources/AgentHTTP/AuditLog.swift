import Logging

/// Every packet extraction, as a structured log line (`vigie.audit`, level notice): who (token name or certificate subject, and the user a drill-down acts for), what
/// (query and time range) and how much (packets, bytes). An auditor asks who looked at which packets.
/// The same events feed the query metrics (`vigie_agent_queries_total`...).
public final class AuditLog: Sendable {
    let logger: Logger
    private let metrics: QueryMetrics

    init(logger: Logger, metrics: QueryMetrics) {
        var l = logger
        l[metadataKey: "audit"] = "packets"
        self.logger = l
        self.metrics = metrics
    }

    func extraction(_ caller: Caller, query: String, from: Int64?, to: Int64?, packets: UInt64, bytes: UInt64, seconds: Double, outcome: String,
                    failed: Bool) {
        metrics.ran(packets: packets, bytes: bytes, seconds: seconds, failed: failed)
        logger.notice("packet extraction", metadata: [
            "who": "\(caller.name)", "on_behalf_of": "\(caller.onBehalfOf ?? "-")", "query": "\(query.prefix(1024))",
            "from": "\(from.map(String.init) ?? "-")", "to": "\(to.map(String.init) ?? "-")",
            "packets": "\(packets)", "bytes": "\(bytes)", "outcome": "\(outcome)",
        ])
    }

    func refusal(_ caller: Caller, query: String, reason: String) {
        metrics.refusal()
        logger.notice("packet extraction refused", metadata: [
            "who": "\(caller.name)", "on_behalf_of": "\(caller.onBehalfOf ?? "-")", "query": "\(query.prefix(1024))", "reason": "\(reason.prefix(256))",
        ])
    }
}
