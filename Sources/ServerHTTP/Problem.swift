import Correlation
import Foundation
import Hummingbird

/// An RFC 9457 problem document: what every 4xx/5xx of the server API carries.
struct Problem: Encodable, Sendable {
    struct LineProblem: Encodable, Sendable { var line: Int; var message: String }

    var type: String = "about:blank"
    var title: String
    var status: Int
    var detail: String
    /// Ingest: the first malformed line (1-based), the first malformed lines (at most 50), what was applied.
    var line: Int?
    var errors: [LineProblem]?
    /// Ingest: malformed lines in all (`errors` lists the first 50).
    var errorCount: Int?
    var accepted: Int?
    var duplicates: Int?
    /// Inventory: the cycle, the node/edge and the field at fault.
    var cycle: [String]?
    var subject: String?
    var field: String?

    func response(headers extra: HTTPFields = [:]) -> Response {
        let data = (try? ServerAPI.encoder.encode(self)) ?? Data()
        var headers = extra
        headers[.contentType] = "application/problem+json"
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func make(_ status: Int, _ detail: String) -> Problem {
        Problem(title: title(status), status: status, detail: detail)
    }

    static let titles = [400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
                         406: "Not Acceptable", 408: "Request Timeout", 409: "Conflict", 410: "Gone", 411: "Length Required",
                         413: "Content Too Large", 414: "URI Too Long", 415: "Unsupported Media Type", 422: "Unprocessable Content",
                         428: "Precondition Required", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
                         500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
                         504: "Gateway Timeout", 507: "Insufficient Storage", 508: "Loop Detected"]

    /// The reason phrase of `status` (RFC 9110), never a made-up "Error".
    static func title(_ status: Int) -> String {
        if let t = titles[status] { return t }
        switch status {
        case 400..<500: return "Bad Request"
        default: return "Internal Server Error"
        }
    }

    /// `Retry-After` (seconds) of a 503 for a write the store refused: long enough for a database
    /// restart, short enough that a freed disk is used again quickly.
    static let storageRetryAfter = "2"

    /// A change the store refused (disk full, database unreachable): 503, retry later, nothing applied.
    static func storageFailed(_ error: String) -> Response {
        make(503, "storage failed: \(error); nothing was applied").response(headers: [.retryAfter: storageRetryAfter])
    }

    static func badRequest(_ detail: String) -> Response { make(400, detail).response() }
    static func notFound(_ detail: String) -> Response { make(404, detail).response() }

    /// Inventory errors: a cycle is 409 Conflict, a missing node/edge 404, a write the store refused
    /// 503 with `Retry-After`, anything else 422.
    static func inventory(_ error: any Error) -> Response {
        guard let e = error as? InventoryError else { return make(500, "\(error)").response() }
        var p: Problem
        switch e.kind {
        case .cycle(let path):
            p = make(409, e.description)
            p.cycle = path
        case .notFound:
            p = make(404, e.description)
        case .invalid:
            p = make(422, e.description)
        case .notStored:
            p = make(503, e.description + "; nothing was changed")
            p.subject = e.subject
            return p.response(headers: [.retryAfter: Problem.storageRetryAfter])
        }
        p.subject = e.subject
        p.field = e.field
        return p.response()
    }
}
