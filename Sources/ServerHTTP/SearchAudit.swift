import Logging

/// Every search, as a structured log line (`vigie.audit`, `audit=search`, level notice), as
/// drill-down logs its own (``DrillDownAudit``): who asked, the query and time range, which agents
/// were named (`agents=...`, `group=...` or `all`), which answered, which did not and why, what
/// went out. The agents log the same extraction under the server's credential, naming this user.
enum SearchAudit {
    struct Entry: Sendable {
        var who: String
        var query: String
        var from: String?, to: String?
        var format: String
        var selection: String
        var answered: [String]
        var missing: [String]
    }

    static let logger: Logger = {
        var l = Logger(label: "vigie.audit")
        l[metadataKey: "audit"] = "search"
        return l
    }()

    /// The query as logged: control characters shown as `?` (one request, one log line).
    static func printable(_ s: Substring) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }

    static func record(_ e: Entry, status: Int, packets: Int = 0, bytes: Int = 0, truncated: Bool = false) {
        logger.notice("search", metadata: [
            "who": "\(e.who)", "q": "\(printable(e.query.prefix(512)))", "from": "\(e.from ?? "-")", "to": "\(e.to ?? "-")",
            "format": "\(e.format)", "selection": "\(printable(e.selection.prefix(512)))", "agents": "\(e.answered.joined(separator: ","))",
            "missing": "\(e.missing.joined(separator: "; ").prefix(2048))", "packets": "\(packets)", "bytes": "\(bytes)",
            "truncated": "\(truncated)", "status": "\(status)",
        ])
    }
}
