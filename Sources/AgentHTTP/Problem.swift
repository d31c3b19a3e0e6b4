import Foundation
import Hummingbird

/// An RFC 9457 problem document: what every 4xx/5xx of the API carries.
struct Problem: Codable, Sendable {
    var type: String = "about:blank"
    var title: String
    var status: Int
    var detail: String
    /// For query errors: character offset and length of the offending token in `q`.
    var position: Int?
    var length: Int?

    func response(headers extra: HTTPFields = [:]) -> Response {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        var headers = extra
        headers[.contentType] = "application/problem+json"
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func make(_ status: Int, _ detail: String) -> Problem {
        Problem(title: HTTPResponse.Status(code: status).reasonPhrase, status: status, detail: detail)
    }

    static func badRequest(_ detail: String, position: Int? = nil, length: Int? = nil) -> Response {
        Problem(title: "Bad Request", status: 400, detail: detail, position: position, length: length).response()
    }
}

/// A JSON response from bytes already encoded.
func jsonResponse(_ data: Data) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
