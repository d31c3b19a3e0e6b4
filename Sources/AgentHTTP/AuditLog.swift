import Logging
import Synchronization

/// Every packet extraction, as a structured log line (`vigie.audit`, level notice) and in counters
/// (`/metrics`): who (token name or certificate subject, and the user a drill-down acts for), what
/// (query and time range) and how much (packets, bytes). An auditor asks who looked at which packets.
public final class AuditLog: Sendable {
    let logger: Logger
    private let counters = Mutex(Counters())

    public struct Counters: Sendable, Equatable {
        public var extractions: UInt64 = 0
        public var refused: UInt64 = 0
        public var packets: UInt64 = 0
        public var bytes: UInt64 = 0
        /// Extractions per caller name.
        public var byCaller: [String: UInt64] = [:]
    }

    public init(logger: Logger) {
        var l = logger
        l[metadataKey: "audit"] = "packets"
        self.logger = l
    }

    public var snapshot: Counters { counters.withLock { $0 } }

    func extraction(_ caller: Caller, query: String, from: Int64?, to: Int64?, packets: UInt64, bytes: UInt64, outcome: String) {
        counters.withLock { c in
            c.extractions += 1
            c.packets += packets
            c.bytes += bytes
            if c.byCaller.count < 10_000 || c.byCaller[caller.name] != nil { c.byCaller[caller.name, default: 0] += 1 }
        }
        logger.notice("packet extraction", metadata: [
            "who": "\(caller.name)", "on_behalf_of": "\(caller.onBehalfOf ?? "-")", "query": "\(query.prefix(1024))",
            "from": "\(from.map(String.init) ?? "-")", "to": "\(to.map(String.init) ?? "-")",
            "packets": "\(packets)", "bytes": "\(bytes)", "outcome": "\(outcome)",
        ])
    }

    func refusal(_ caller: Caller, query: String, reason: String) {
        counters.withLock { $0.refused += 1 }
        logger.notice("packet extraction refused", metadata: [
            "who": "\(caller.name)", "on_behalf_of": "\(caller.onBehalfOf ?? "-")", "query": "\(query.prefix(1024))", "reason": "\(reason.prefix(256))",
        ])
    }
}
