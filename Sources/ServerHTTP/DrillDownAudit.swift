import Logging
import Synchronization

/// Every drill-down, as a structured log line (`vigie.audit`, level notice) and in `/metrics`: who
/// asked (the token's name), for which service, client and time range, which agents answered and how
/// many bytes of packets went out. The agents log the same extraction under the server's drill-down
/// credential, naming this user (`on_behalf_of`).
final class DrillDownAudit: Sendable {
    struct Counters: Sendable {
        var drilldowns: UInt64 = 0
        var failed: UInt64 = 0
        var bytes: UInt64 = 0
    }

    private let logger: Logger
    private let counters = Mutex(Counters())

    init() {
        var l = Logger(label: "vigie.audit")
        l[metadataKey: "audit"] = "drilldown"
        logger = l
    }

    var snapshot: Counters { counters.withLock { $0 } }

    func record(who: String, service: String, client: String?, from: String?, to: String?, answered: [String], failed: [String], bytes: Int, status: Int) {
        counters.withLock { c in
            c.drilldowns += 1
            if status != 200 { c.failed += 1 }
            c.bytes += UInt64(max(0, bytes))
        }
        logger.notice("drill-down", metadata: [
            "who": "\(who)", "service": "\(service.prefix(256))", "client": "\(client?.prefix(64) ?? "-")",
            "from": "\(from ?? "-")", "to": "\(to ?? "-")", "agents": "\(answered.joined(separator: ","))",
            "not_answered": "\(failed.count)", "bytes": "\(bytes)", "status": "\(status)",
        ])
    }
}
