import Agent
import Foundation
import HTTPListener
import Hummingbird
import Logging
import SystemIO

/// The pin API (docs/pins.md, Schemas/agent-api.yaml):
/// - `GET /api/v1/pins`: the pins, with the segments and bytes each holds now;
/// - `POST /api/v1/pins` `{"from", "to", "reason", "service"?}`: a pin ordered by an operator or
///   the server (`origin` `api` or `server`);
/// - `POST /api/v1/pins/{id}/extend` `{"to"}`: moves a pin's end later;
/// - `DELETE /api/v1/pins/{id}`: releases a pin.
/// Mutations need an `operator` or `drilldown` token (or the open loopback API) and are audited.
/// They change the store's pin file under its lock; the process capturing into the store picks the
/// change up within a second and writes the `pin` record.
enum PinRoutes {
    /// Largest request body accepted.
    static let maxBody = 16 * 1024
    static let maxReason = 256
    static let maxService = 256

    static func add(_ router: Router<AgentRequestContext>, layout: StoreLayout, audit: AuditLog, logger: Logger) {
        let book = PinBook(layout: layout)
        router.get("api/v1/pins") { _, _ -> Response in
            let file: PinBook.File
            do throws(PinError) { file = try book.load() } catch {
                logger.error("pin file unreadable", metadata: ["error": "\(error)"])
                return Problem.make(503, "the store's pin file cannot be read").response()
            }
            let segments = (try? SegmentCatalog(readingFrom: layout))?.segments() ?? []
            let views = file.pins.filter { $0.released != true }.map { p in
                let held = segments.filter { $0.state != .writing && p.covers($0) }
                return PinView(p, segments: held.count, bytes: held.reduce(0) { $0 + $1.bytes })
            }
            return jsonResponse((try? AgentAPI.encoder.encode(PinList(generation: file.generation, pins: views))) ?? Data())
        }
        router.post("api/v1/pins") { request, context -> Response in
            let fields: PinBody
            switch await body(request) { case .success(let f): fields = f; case .failure(let e): return e.response }
            let from: Int64, to: Int64, reason: String, service: String?
            do throws(FieldError) {
                from = try time(fields.from, "from")
                to = try time(fields.to, "to")
                guard from <= to else { throw FieldError("'to' is before 'from'") }
                reason = try text(fields.reason, "reason", limit: maxReason) ?? ""
                guard !reason.isEmpty else { throw FieldError("'reason' is required (a non-empty string)") }
                service = try text(fields.service, "service", limit: maxService)
            } catch { return Problem.badRequest(error.message) }
            let origin: Pin.Origin = context.caller.role == .drilldown ? .server : .api
            let pin = Pin(id: Pin.newID(), from: from, to: to, reason: reason, service: service, origin: origin, created: WallClock.nanos())
            do throws(PinError) { try book.create(pin) } catch { return failure(error, audit, context.caller, "create", pin.id) }
            audit.pin(context.caller, action: "created", pin: pin)
            return pinResponse(PinView(pin, segments: 0, bytes: 0), status: .created)
        }
        router.post("api/v1/pins/{id}/extend") { request, context -> Response in
            let id = context.parameters.get("id") ?? ""
            let fields: PinBody
            switch await body(request) { case .success(let f): fields = f; case .failure(let e): return e.response }
            let to: Int64
            do throws(FieldError) { to = try time(fields.to, "to") } catch { return Problem.badRequest(error.message) }
            let pin: Pin
            do throws(PinError) { pin = try book.extend(id, to: to) } catch { return failure(error, audit, context.caller, "extend", id) }
            audit.pin(context.caller, action: "extended", pin: pin)
            return pinResponse(PinView(pin, segments: 0, bytes: 0), status: .ok)
        }
        router.delete("api/v1/pins/{id}") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            let pin: Pin
            do throws(PinError) { pin = try book.release(id) } catch { return failure(error, audit, context.caller, "release", id) }
            audit.pin(context.caller, action: "released", pin: pin)
            return pinResponse(PinView(pin, segments: 0, bytes: 0), status: .ok)
        }
    }

    /// Whether `method` on `path` is a pin route other than GET (``HeadAsGetResponder`` lets it through).
    static func isMutation(_ method: HTTPRequest.Method, _ path: String) -> Bool {
        guard isPinPath(path) else { return false }
        return method == .post || method == .delete
    }

    /// 405 with `Allow` for a method a pin path does not answer (nil: the router decides). The pin
    /// paths answer more than GET and HEAD, so ``HeadAsGetResponder`` asks here first.
    static func methodNotAllowed(_ method: HTTPRequest.Method, _ path: String) -> Response? {
        guard isPinPath(path) else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)  // "", api, v1, pins, id, extend
        let allowed: [HTTPRequest.Method]
        switch parts.count {
        case 4: allowed = [.get, .head, .post]
        case 5: allowed = [.delete]
        case 6 where parts[5] == "extend": allowed = [.post]
        default: return nil
        }
        guard !allowed.contains(method) else { return nil }
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        return Problem.make(405, "\(method) is not allowed here: \(allow)").response(headers: [.allow: allow])
    }

    static func isPinPath(_ path: String) -> Bool { path == "/api/v1/pins" || path.hasPrefix("/api/v1/pins/") }

    /// The refusal of a mutation by a caller whose role may not change pins (nil: allowed). On an
    /// open loopback API (no role) everything is allowed.
    static func refusal(_ method: HTTPRequest.Method, _ path: String, _ caller: Caller) -> Response? {
        guard isMutation(method, path), let role = caller.role, role != .operator, role != .drilldown else { return nil }
        return Problem.make(403, "changing pins needs an operator or drilldown token").response()
    }

    struct FieldError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// The JSON object of the request body, or the 400 answer.
    private static func body(_ request: Request) async -> Result<PinBody, ResponseError> {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: maxBody) else {
            return .failure(ResponseError(Problem.badRequest("body: a JSON object of at most \(maxBody) bytes is required")))
        }
        guard let object = try? JSONDecoder().decode(PinBody.self, from: Data(buffer.readableBytesView)) else {
            return .failure(ResponseError(Problem.badRequest("body: not a JSON object")))
        }
        return .success(object)
    }

    struct ResponseError: Error {
        var response: Response
        init(_ r: Response) { response = r }
    }

    /// A time field: nanoseconds since the epoch (integer), or text `TimeParser` reads (RFC 3339,
    /// `now`, `5m ago`).
    static func time(_ v: JSONScalar?, _ name: String) throws(FieldError) -> Int64 {
        switch v {
        case nil, .null?: throw FieldError("'\(name)' is required")
        case .string(let s)?:
            do throws(TimeParser.Failure) { return try TimeParser.value(s) } catch { throw FieldError("'\(name)': \(error.description)") }
        case .integer(let i)? where i >= 0: return i
        default: throw FieldError("'\(name)' must be nanoseconds since 1970 (an integer ≥ 0) or an RFC 3339 time")
        }
    }

    static func text(_ v: JSONScalar?, _ name: String, limit: Int) throws(FieldError) -> String? {
        switch v {
        case nil, .null?: return nil
        case .string(let s)? where s.utf8.count <= limit && s.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }): return s
        default: throw FieldError("'\(name)' must be a string of at most \(limit) bytes without control characters")
        }
    }

    private static func failure(_ error: PinError, _ audit: AuditLog, _ caller: Caller, _ action: String, _ id: String) -> Response {
        audit.pinRefused(caller, action: action, id: id, reason: error.description)
        switch error.code {
        case .notFound: return Problem.make(404, "no pin '\(id.prefix(64))'").response()
        case .invalid: return Problem.badRequest(error.detail)
        case .full: return Problem.badRequest("too many pins (at most \(PinBook.maxPins)): release some first")
        // The path and OS error go to the audit line and the log, not to the caller.
        case .io, .badFile: return Problem.make(503, "the store's pin file cannot be read or written").response()
        }
    }

    private static func pinResponse(_ view: PinView, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let data = (try? AgentAPI.encoder.encode(view)) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A pin as the API shows it: the pin file's fields plus what it holds now.
struct PinView: Encodable {
    var id: String
    var from: Int64
    var to: Int64
    var reason: String
    var service: String?
    var state: String?
    var origin: String
    var created: Int64
    /// Finished segments overlapping the pin, and their bytes.
    var segments: Int
    var bytes: UInt64

    init(_ p: Pin, segments: Int, bytes: UInt64) {
        (id, from, to, reason, service, state, origin, created) = (p.id, p.from, p.to, p.reason, p.service, p.state, p.origin.rawValue, p.created)
        self.segments = segments
        self.bytes = bytes
    }
}

struct PinList: Encodable {
    var generation: UInt64
    var pins: [PinView]
}

extension AuditLog {
    /// A pin changed through the API: who, which pin, what window.
    func pin(_ caller: Caller, action: String, pin: Pin) {
        logger.notice("pin \(action)", metadata: [
            "audit_action": "pin", "who": "\(caller.name)", "on_behalf_of": "\(caller.onBehalfOf ?? "-")", "pin": "\(pin.id)",
            "action": "\(action)", "from": "\(pin.from)", "to": "\(pin.to)", "reason": "\(pin.reason.prefix(256))",
            "service": "\(pin.service ?? "-")",
        ])
    }

    func pinRefused(_ caller: Caller, action: String, id: String, reason: String) {
        logger.notice("pin change refused", metadata: [
            "audit_action": "pin", "who": "\(caller.name)", "on_behalf_of": "\(caller.onBehalfOf ?? "-")", "pin": "\(id.prefix(64))",
            "action": "\(action)", "reason": "\(reason.prefix(256))",
        ])
    }
}

/// A body member as sent: the routes check types themselves so that the error names the field.
enum JSONScalar: Decodable {
    case integer(Int64), string(String), null, other

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let i = try? c.decode(Int64.self) { self = .integer(i) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else { self = .other }
    }
}

/// The body of `POST /api/v1/pins` and `.../extend` (unknown members are ignored).
struct PinBody: Decodable {
    var from: JSONScalar?
    var to: JSONScalar?
    var reason: JSONScalar?
    var service: JSONScalar?
}
