/// The record keys both ends use: the envelope every record starts with, and the body keys the
/// server reads (docs/records.md). The agent's encoder writes these keys from here and the server's
/// parser looks them up from here, so a renamed key cannot split the two. Every other key of a
/// record is written by the encoder only and merely validated by the parser.
public enum RecordField: Int, CaseIterable, Sendable {
    case schemaVersion, kind, agentID, epoch, seq, ts, agentTS
    case service, state, previousState, reason, app, errorRate
    case origH, attempts, transactions, refused, unanswered, transactionErrors, firstSeen
    case queryAPI
    /// The `edge` window's counters and latency histograms (the server's metric history).
    case established, resets, bytesToServer, bytesToClient, intervalStart, intervalEnd, rtt, responseTime
    /// The `pin` record's (docs/pins.md): the server lists agents' pins and links them to drill-down.
    case action, id, from, to, origin

    static let count = allCases.count

    /// The key as written in records.
    public var key: StaticString {
        switch self {
        case .schemaVersion: "schema_version"
        case .kind: "kind"
        case .agentID: "agent_id"
        case .epoch: "epoch"
        case .seq: "seq"
        case .ts: "ts"
        case .agentTS: "agent_ts"
        case .service: "service"
        case .state: "state"
        case .previousState: "previous_state"
        case .reason: "reason"
        case .app: "app"
        case .errorRate: "error_rate"
        case .origH: "orig_h"
        case .attempts: "attempts"
        case .transactions: "transactions"
        case .refused: "refused"
        case .unanswered: "unanswered"
        case .transactionErrors: "transaction_errors"
        case .firstSeen: "first_seen"
        case .queryAPI: "query_api"
        case .established: "established"
        case .resets: "resets"
        case .bytesToServer: "bytes_to_server"
        case .bytesToClient: "bytes_to_client"
        case .intervalStart: "interval_start"
        case .intervalEnd: "interval_end"
        case .rtt: "rtt"
        case .responseTime: "response_time"
        case .action: "action"
        case .id: "id"
        case .from: "from"
        case .to: "to"
        case .origin: "origin"
        }
    }

    /// The slot of a key (raw bytes between the quotes), or nil for a key the server does not read.
    static func slot(of raw: UnsafeRawBufferPointer, escaped: Bool) -> Int? {
        guard escaped else { return slot(of: raw) }
        var decoded: [UInt8] = []
        JSONString.unescape(raw, into: &decoded)
        return decoded.withUnsafeBytes { slot(of: $0) }
    }

    /// Candidates by key length (the length tells most keys apart), then a byte compare.
    private static func slot(of key: UnsafeRawBufferPointer) -> Int? {
        switch key.count {
        case 2: return match(key, .ts) ?? match(key, .id) ?? match(key, .to)
        case 3: return match(key, .seq) ?? match(key, .app) ?? match(key, .rtt)
        case 4: return match(key, .kind) ?? match(key, .from)
        case 5: return match(key, .epoch) ?? match(key, .state)
        case 6: return match(key, .reason) ?? match(key, .origH) ?? match(key, .resets) ?? match(key, .action) ?? match(key, .origin)
        case 7: return match(key, .service) ?? match(key, .refused)
        case 8: return match(key, .agentID) ?? match(key, .agentTS) ?? match(key, .attempts)
        case 9: return match(key, .queryAPI)
        case 10: return match(key, .errorRate) ?? match(key, .firstSeen) ?? match(key, .unanswered)
        case 11: return match(key, .established)
        case 12: return match(key, .transactions) ?? match(key, .intervalEnd)
        case 13: return match(key, .responseTime)
        case 14: return match(key, .schemaVersion) ?? match(key, .previousState) ?? match(key, .intervalStart)
        case 15: return match(key, .bytesToServer) ?? match(key, .bytesToClient)
        case 18: return match(key, .transactionErrors)
        default: return nil
        }
    }

    private static func match(_ key: UnsafeRawBufferPointer, _ field: RecordField) -> Int? {
        let name = field.key
        guard name.utf8CodeUnitCount == key.count else { return nil }
        for k in 0..<key.count where key[k] != name.utf8Start[k] { return nil }
        return field.rawValue
    }
}

