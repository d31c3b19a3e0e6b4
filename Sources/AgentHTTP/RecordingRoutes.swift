import Agent
import Foundation
import HTTPListener
import HTTPTypes
import Hummingbird
import Logging
import SystemIO

/// The planned recordings' routes (docs/recordings.md, Schemas/agent-api.yaml):
/// - `GET /api/v1/recordings`: every recording with its state, packets, bytes and segments;
/// - `POST /api/v1/recordings`: a new recording (JSON definition; 400 naming the bad field, 409
///   when the id exists);
/// - `DELETE /api/v1/recordings/{id}[?purge=true]`: cancels it (and deletes its data);
/// - `GET /api/v1/recordings/{id}/packets?q=&from=&to=`: its packets as pcap, through the same
///   path as `/api/v1/packets` (``AgentAPI/packets``) on the recording's own store.
/// Reading needs any accepted credential; a change needs an `operator` or `drilldown` one (or the
/// open loopback API). Changes go to the audit log. The definitions live in
/// `STORE/recordings/recordings.json`, which the capturing process follows.
enum RecordingRoutes {
    static let collection = "/api/v1/recordings"
    /// Largest definition body accepted.
    static let maxBody = 64 << 10

    static func add(_ router: Router<AgentRequestContext>, store: String, audit: AuditLog, logger: Logger) {
        let book = RecordingBook(store: store)
        router.get("api/v1/recordings") { _, _ -> Response in
            let list = await BlockingWork.run { () -> Data? in
                guard let defs = try? book.load() else { return nil }
                return try? RecordingSummary.encoder.encode(defs.map { RecordingSummary($0, book: book) })
            }
            guard let list else { return Problem.make(503, "recordings file unreadable").response() }
            return jsonResponse(list)
        }
        router.post("api/v1/recordings") { request, context -> Response in
            guard mayChange(context.caller) else { return forbidden(context.caller, audit, "create") }
            let bytes: ByteBuffer
            do { bytes = try await request.body.collect(upTo: maxBody) } catch {
                return Problem.make(413, "the definition is larger than \(maxBody) bytes").response()
            }
            let input: RecordingInput
            switch parse(Data(buffer: bytes)) {
            case .success(let i): input = i
            case .failure(let e): return refuse(context.caller, audit, "create", e.description)
            }
            let outcome = await BlockingWork.run { () -> Result<RecordingSummary, CreateFailure> in
                let d: RecordingDefinition
                do throws(ConfigError) { d = try input.validated(prefix: "", store: store) } catch { return .failure(.invalid(error)) }
                do {
                    let added = try book.update { defs -> Bool in
                        guard !defs.contains(where: { $0.id == d.id }) else { return false }
                        defs.append(d)
                        return true
                    }
                    return added ? .success(RecordingSummary(d, book: book)) : .failure(.exists(d.id))
                } catch {
                    return .failure(.storage("\(error)"))
                }
            }
            switch outcome {
            case .success(let s):
                audit.recording(context.caller, action: "create", id: s.id, outcome: "created")
                return jsonResponse((try? RecordingSummary.encoder.encode(s)) ?? Data(), status: .created)
            case .failure(.invalid(let e)): return refuse(context.caller, audit, "create", "'\(e.option)': \(e.message)")
            case .failure(.exists(let id)):
                audit.recording(context.caller, action: "create", id: id, outcome: "refused: exists")
                return Problem.make(409, "recording '\(id)' exists").response()
            case .failure(.storage(let m)): return Problem.make(503, m).response()
            }
        }
        router.delete("api/v1/recordings/{id}") { request, context -> Response in
            guard mayChange(context.caller) else { return forbidden(context.caller, audit, "cancel") }
            guard let id = context.parameters.get("id"), RecordingInput.isSlug(id) else { return Problem.make(404, "no such recording").response() }
            let purge = QueryParameters(rawQuery: request.uri.query)["purge"] == "true"
            let outcome = await BlockingWork.run { () -> RecordingSummary?? in
                do {
                    let found = try book.update { defs -> RecordingDefinition? in
                        guard let k = defs.firstIndex(where: { $0.id == id }) else { return nil }
                        defs[k].state = .cancelled
                        if purge { defs[k].purge = true }
                        return defs[k]
                    }
                    guard let found else { return .some(nil) }
                    // Deleted here when no capture holds the recording's store; otherwise the
                    // capture deletes it when it sees the cancellation (within a second).
                    if purge, Recorder.removeData(book.layout(id)) {
                        try book.update { defs in defs.removeAll { $0.id == id && $0.state == .cancelled } }
                    }
                    return .some(RecordingSummary(found, book: book))
                } catch {
                    return nil
                }
            }
            guard let outcome else { return Problem.make(503, "recordings file unwritable").response() }
            guard let summary = outcome else { return Problem.make(404, "no such recording").response() }
            audit.recording(context.caller, action: purge ? "cancel+purge" : "cancel", id: id, outcome: "cancelled")
            return jsonResponse((try? RecordingSummary.encoder.encode(summary)) ?? Data())
        }
        router.get("api/v1/recordings/{id}/packets") { request, context -> Response in
            guard let id = context.parameters.get("id"), RecordingInput.isSlug(id),
                  let defs = try? book.load(), defs.contains(where: { $0.id == id }) else {
                return Problem.make(404, "no such recording").response()
            }
            return AgentAPI.packets(request, caller: context.caller, headOnly: context.isHead, layout: book.layout(id), audit: audit, logger: logger)
        }
    }

    /// The methods a recordings path answers (GET standing for GET and HEAD), nil for other paths:
    /// ``HeadAsGetResponder`` answers any other method 405 with them in `Allow`.
    static func allowedMethods(_ path: String) -> [HTTPRequest.Method]? {
        if path == collection { return [.get, .post] }
        guard path.hasPrefix(collection + "/") else { return nil }
        let rest = path.dropFirst(collection.count + 1)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 1 { return [.delete] }
        if parts.count == 2 && parts[1] == "packets" { return [.get] }
        return nil
    }

    /// Whether a method other than GET/HEAD is one of these routes'.
    static func accepts(_ method: HTTPRequest.Method, _ path: String) -> Bool {
        (method == .post && path == collection) || (method == .delete && allowedMethods(path) == [.delete])
    }

    /// What an `operator` token may do on the agent: list, create and cancel recordings; never read
    /// packets (not even a recording's).
    static func operatorMay(_ method: HTTPRequest.Method, _ path: String) -> Bool {
        path == collection || path == collection + "/" || accepts(method, path)
    }

    /// Changes need an operator or drill-down credential, or the open loopback API.
    static func mayChange(_ caller: Caller) -> Bool {
        guard let role = caller.role else { return true }
        return role == .operator || role == .drilldown
    }

    enum CreateFailure: Error {
        case invalid(ConfigError)
        case exists(String)
        case storage(String)
    }

    struct BodyError: Error, CustomStringConvertible {
        var description: String
    }

    /// The JSON body as text fields; unknown keys and wrong types are refused, naming the key.
    static func parse(_ data: Data) -> Result<RecordingInput, BodyError> {
        do {
            return .success(try JSONDecoder().decode(Body.self, from: data).input)
        } catch let e as BodyError {
            return .failure(e)
        } catch DecodingError.typeMismatch(_, let c), DecodingError.dataCorrupted(let c) {
            if let key = c.codingPath.first?.stringValue { return .failure(BodyError(description: "'\(key)': \(c.debugDescription)")) }
            return .failure(BodyError(description: "body: a JSON object is required"))
        } catch {
            return .failure(BodyError(description: "body: a JSON object is required"))
        }
    }

    /// The definition body: strings, or numbers for sizes, lists or comma-separated text for fields.
    struct Body: Decodable {
        var input = RecordingInput()

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            for k in c.allKeys.map(\.stringValue).sorted() where !RecordingInput.keys.contains(k) {
                throw BodyError(description: "'\(k)': unknown field (known: \(RecordingInput.keys.sorted().joined(separator: ", ")))")
            }
            func text(_ name: String) throws -> String? {
                let k = Key(stringValue: name)
                guard c.contains(k), try !c.decodeNil(forKey: k) else { return nil }
                if let s = try? c.decode(String.self, forKey: k) { return s }
                if let n = try? c.decode(UInt64.self, forKey: k) { return String(n) }
                throw BodyError(description: "'\(name)': must be a string" + (name == "quota" || name == "snaplen" ? " or a whole number" : ""))
            }
            input.id = try text("id")
            input.start = try text("start")
            input.end = try text("end")
            input.repeatText = try text("repeat")
            input.filter = try text("filter")
            input.snaplen = try text("snaplen")
            input.quota = try text("quota")
            input.retention = try text("retention")
            let f = Key(stringValue: "index_fields")
            if c.contains(f), try !c.decodeNil(forKey: f) {
                if let list = try? c.decode([String].self, forKey: f) {
                    input.indexFields = list
                } else if let s = try? c.decode(String.self, forKey: f) {
                    input.indexFields = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                } else {
                    throw BodyError(description: "'index_fields': must be a list of field names")
                }
            }
        }
    }

    private static func refuse(_ caller: Caller, _ audit: AuditLog, _ action: String, _ reason: String) -> Response {
        audit.recording(caller, action: action, id: "-", outcome: "refused: \(reason)")
        return Problem.badRequest(reason)
    }

    private static func forbidden(_ caller: Caller, _ audit: AuditLog, _ action: String) -> Response {
        audit.recording(caller, action: action, id: "-", outcome: "refused: role")
        return Problem.make(403, "changing recordings needs an operator or drilldown credential").response()
    }
}

extension AuditLog {
    /// A change to the planned recordings (who, what, which, how it went).
    func recording(_ caller: Caller, action: String, id: String, outcome: String) {
        logger.notice("recording change", metadata: [
            "who": "\(caller.name)", "on_behalf_of": "\(caller.onBehalfOf ?? "-")", "action": "\(action)",
            "recording": "\(id)", "outcome": "\(outcome.prefix(256))",
        ])
    }
}

/// A JSON response with a status.
func jsonResponse(_ data: Data, status: HTTPResponse.Status) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
