import Correlation
import Foundation
import Hummingbird

extension ServerAPI {
    /// Maintenance windows.
    enum MaintenanceRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "api/v1/maintenance") { _, _, api -> Response in json(api.correlator.maintenanceWindows()) },
            APIRoute(.post, "api/v1/maintenance") { request, _, api -> Response in
                var request = request
                if let refused = unsupportedMediaType(request, jsonTypes) { return refused }
                guard let bytes = try await body(&request, limit: api.config.maxBodyBytes) else { return tooLarge(api.config.maxBodyBytes) }
                guard let q = try? decode(MaintenanceRequest.self, bytes) else {
                    return Problem.badRequest("body: {\"node\": ID, \"start\": RFC3339?, \"end\": RFC3339 | \"duration_s\": N, \"comment\": TEXT?}")
                }
                let start: Double, end: Double
                switch MaintenanceRequest.window(q, now: Date().timeIntervalSince1970) {
                case .success(let w): (start, end) = w
                case .failure(let e): return Problem.badRequest(e.message)
                }
                do { return json(try await api.correlator.edit { try $0.addMaintenance(node: q.node, start: start, end: end, comment: q.comment) }, status: .created) }
                catch { return Problem.inventory(error) }
            },
            APIRoute(.delete, "api/v1/maintenance/{id}") { _, context, api -> Response in
                guard let id = context.parameters.get("id", as: Int64.self) else { return Problem.badRequest("maintenance ids are integers") }
                do { try await api.correlator.edit { try $0.removeMaintenance(id: id) }; return Response(status: .noContent) } catch { return Problem.inventory(error) }
            },
        ]
    }
}

struct MaintenanceRequest: Decodable {
    var node: String; var start: String?; var end: String?; var durationS: Double?; var comment: String?

    struct Invalid: Error { var message: String }

    /// Longest window: 366 days.
    static let maxDuration: Double = 366 * 86400
    /// Window bounds: 1970-01-01T00:00:00Z ... 9999-12-31T23:59:59Z.
    static let earliest: Double = 0, latest: Double = 253_402_300_799

    /// The window `[start, end)` the request asks for (start defaults to `now`), checked: times
    /// RFC 3339 within years 1970...9999, `duration_s` finite, > 0 and at most 366 days, end after start.
    static func window(_ q: MaintenanceRequest, now: Double) -> Result<(Double, Double), Invalid> {
        func time(_ field: String, _ text: String?) -> Result<Double?, Invalid> {
            guard let text else { return .success(nil) }
            guard let t = Timestamp.parse(text), t.isFinite, (earliest...latest).contains(t) else {
                return .failure(Invalid(message: "'\(field)' must be an RFC 3339 time within years 1970...9999"))
            }
            return .success(t)
        }
        let start: Double, end: Double
        switch time("start", q.start) { case .success(let t): start = t ?? now; case .failure(let e): return .failure(e) }
        switch time("end", q.end) {
        case .failure(let e): return .failure(e)
        case .success(let t?):
            end = t
        case .success(nil):
            guard let d = q.durationS else { return .failure(Invalid(message: "'end' (RFC 3339) or 'duration_s' is required")) }
            guard d.isFinite, d > 0, d <= maxDuration else {
                return .failure(Invalid(message: "'duration_s' must be a finite number of seconds > 0 and at most 366 days (\(Int(maxDuration)))"))
            }
            end = start + d
            guard end <= latest else { return .failure(Invalid(message: "the window ends after year 9999")) }
        }
        guard end > start else { return .failure(Invalid(message: "'end' must be after 'start'")) }
        return .success((start, end))
    }
}
