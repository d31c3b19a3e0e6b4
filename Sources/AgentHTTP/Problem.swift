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
        Problem(title: title(status), status: status, detail: detail)
    }

    /// The reason phrase of a status the API answers, as the problem's title (RFC 9457 §3.1.3).
    /// `HTTPResponse.Status(code:)` alone has an empty reason phrase.
    static func title(_ status: Int) -> String {
        let known: [HTTPResponse.Status] = [.badRequest, .unauthorized, .forbidden, .notFound, .methodNotAllowed,
                                            .internalServerError, .serviceUnavailable]
        return known.first { $0.code == status }?.reasonPhrase ?? "HTTP \(status)"
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
