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
    /// Ingest: the first malformed line (1-based), every malformed line (at most 50), what was applied.
    var line: Int?
    var errors: [LineProblem]?
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
        Problem(title: titles[status] ?? "Error", status: status, detail: detail)
    }

    static let titles = [400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 413: "Content Too Large",
                         415: "Unsupported Media Type", 422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"]

    static func badRequest(_ detail: String) -> Response { make(400, detail).response() }
    static func notFound(_ detail: String) -> Response { make(404, detail).response() }

    /// Inventory errors: a cycle is 409 Conflict, a missing node/edge 404, anything else 422.
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
        }
        p.subject = e.subject
        p.field = e.field
        return p.response()
    }
}
