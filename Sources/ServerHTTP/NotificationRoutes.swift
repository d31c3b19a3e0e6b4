import Correlation
import Foundation
import Hummingbird
import SystemIO

extension ServerAPI {
    /// Notification rules. The file's rules are listed but read-only here: the API owns only the
    /// rules it created (docs/notifications.md). Changes need an operator token (OperatorAuth).
    enum NotificationRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/notifications/rules") { _, _, api -> Response in
                json(RuleList(rules: (api.config.notifications?.rules() ?? []).map(RuleJSON.init)))
            },
            APIRoute(.post, "api/v1/notifications/rules") { request, _, api -> Response in
                var request = request
                guard let book = api.config.notifications else { return notConfigured }
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                guard let bytes = try await body(&request, limit: api.config.maxBodyBytes) else { return tooLarge(api.config.maxBodyBytes) }
                do throws(NotificationConfigError) {
                    let rule = try book.parseRule(json: bytes)
                    // The store write blocks: off the async pool.
                    let outcome: Result<Void, NotificationConfigError> = await BlockingWork.run {
                        do throws(NotificationConfigError) { try book.add(rule); return .success(()) } catch { return .failure(error) }
                    }
                    try outcome.get()
                    return json(RuleJSON(rule), status: .created)
                } catch {
                    return problem(error)
                }
            },
            APIRoute(.delete, "api/v1/notifications/rules/{id}") { _, context, api -> Response in
                guard let book = api.config.notifications else { return notConfigured }
                guard let id = context.parameters.get("id") else { return Problem.badRequest("a rule name is required") }
                let outcome: Result<Void, NotificationConfigError> = await BlockingWork.run {
                    do throws(NotificationConfigError) { try book.remove(id: id); return .success(()) } catch { return .failure(error) }
                }
                switch outcome {
                case .success: return Response(status: .noContent)
                case .failure(let e): return problem(e)
                }
            },
        ]

        static var notConfigured: Response {
            Problem.make(409, "notifications are not configured: start the server with --notifications FILE (receivers are defined there)").response()
        }

        /// 400 for a bad rule (naming the key), 403 for a file rule, 404, 409 for a name taken, 503 when not stored.
        static func problem(_ e: NotificationConfigError) -> Response {
            let status: Int
            switch e.code {
            case .invalid, .unknownKey: status = 400
            case .notFound: status = e.key == "id" ? 404 : 400
            case .readOnly: status = 403
            case .conflict: status = 409
            case .storage: return Problem.storageFailed(e.message)
            }
            var p = Problem.make(status, e.description)
            p.field = e.key
            return p.response()
        }
    }

    struct RuleList: Encodable { var rules: [RuleJSON] }

    /// A rule as the API shows it (the same keys as the file).
    struct RuleJSON: Encodable {
        var name: String
        var node: String?
        var kind: String?
        var state: String
        var forS: Double
        var repeatS: Double?
        var severity: String
        var receivers: [String]
        var origin: String
        var readOnly: Bool

        init(_ r: NotificationRule) {
            name = r.id; node = r.node; kind = r.kind?.rawValue; state = r.state.rawValue; forS = r.forSeconds; repeatS = r.repeatSeconds
            severity = r.severity; receivers = r.receivers; origin = r.origin.rawValue; readOnly = r.origin == .file
        }
    }
}
