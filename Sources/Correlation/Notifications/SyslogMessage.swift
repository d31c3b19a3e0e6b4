import Foundation

/// An RFC 5424 syslog message of a notification:
/// `<PRI>1 TIMESTAMP HOST vigie-server - FIRING|RESOLVED [vigie@32473 rule=".." node=".." ...] SUMMARY`.
/// Built once when queued, so every retry sends the same bytes.
public enum SyslogMessage {
    /// The structured-data id (32473 is the enterprise number RFC 5612 reserves for examples).
    public static let sdID = "vigie@32473"

    public static func make(event: NotificationEvent, facility: Int, hostname: String, at time: Double) -> String {
        let e = event.episode
        let resolved = event.kind == .resolved
        // Resolved is a notice (5); a firing carries the rule's severity.
        let severity = resolved ? 5 : (NotificationRule.severities[e.severity] ?? 2)
        let pri = min(max(facility, 0), 23) * 8 + severity
        let msgID = resolved ? "RESOLVED" : (event.kind == .repeat ? "REPEAT" : "FIRING")
        let params: [(String, String)] = [("rule", e.rule), ("node", e.node), ("kind", e.kind.rawValue), ("state", e.state.rawValue),
                                          ("severity", e.severity), ("fingerprint", e.id)]
        let sd = "[\(sdID)" + params.map { " \($0.0)=\"\(escape($0.1))\"" }.joined() + "]"
        let verb = resolved ? "recovered from" : "is"
        var text = "\(e.kind.rawValue) \(e.node) \(verb) \(e.state.rawValue) (rule \(e.rule))"
        if !e.causes.isEmpty { text += "; causes: " + e.causes.joined(separator: ", ") }
        return "<\(pri)>1 \(AlertmanagerPayload.time(time)) \(header(hostname)) vigie-server - \(msgID) \(sd) \(text)"
    }

    /// RFC 5424 §6.3.3: `"`, `\` and `]` are escaped inside a parameter value.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            if c == "\"" || c == "\\" || c == "]" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// A header field: printable US-ASCII without spaces, at most 255 characters, else `-`.
    static func header(_ s: String) -> String {
        let clean = String(s.unicodeScalars.filter { $0.value > 32 && $0.value < 127 }.prefix(255).map(Character.init))
        return clean.isEmpty ? "-" : clean
    }

    /// TCP framing (RFC 6587 octet counting): `LEN SP MSG`.
    public static func octetCounted(_ message: String) -> [UInt8] {
        Array("\(message.utf8.count) ".utf8) + Array(message.utf8)
    }
}
