import Hummingbird

/// The methods each path of the API answers, derived from the routes `ServerAPI.router` registers
/// (`ServerAPI.routes`), HEAD wherever GET is (the router generates it). The router answers a method
/// it has no route for with 404, as if the path did not exist; RFC 9110 §15.5.6 wants 405 with
/// `Allow` when the path exists.
enum RouteMethods {
    /// Path patterns (`*` one segment, `**` one or more) and their methods, in the order of the
    /// routes (`Allow` lists them in that order).
    static let table: [(pattern: [Substring], methods: [HTTPRequest.Method])] = {
        var rows: [(path: String, methods: [HTTPRequest.Method])] = []
        for route in ServerAPI.routes {
            let methods: [HTTPRequest.Method] = route.method == .get ? [.get, .head] : [route.method]
            if let i = rows.firstIndex(where: { $0.path == route.path }) {
                for m in methods where !rows[i].methods.contains(m) { rows[i].methods.append(m) }
            } else {
                rows.append((route.path, methods))
            }
        }
        // `{id}` is one segment, whatever its name.
        return rows.map { row in (row.path.split(separator: "/").map { $0.hasPrefix("{") ? "*" : $0 }, row.methods) }
    }()

    /// The methods of the first pattern `path` matches (constant segments before `*`/`**`, as the
    /// router prefers them), nil for a path the API does not have.
    static func allowed(path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        func matches(_ pattern: [Substring]) -> Bool {
            if pattern.last == "**" {
                guard segments.count >= pattern.count else { return false }
            } else if segments.count != pattern.count {
                return false
            }
            for (i, p) in pattern.enumerated() where p != "*" && p != "**" && p != segments[i] { return false }
            return true
        }
        // Exact patterns first: `inventory/edges` before `inventory/nodes/**`, `acks` before `acks/**`.
        let exact = table.first { !$0.pattern.contains("*") && !$0.pattern.contains("**") && matches($0.pattern) }
        return (exact ?? table.first { matches($0.pattern) })?.methods
    }
}

/// Answers 405 with `Allow` for a method the path does not have, before the router's 404.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let methods = RouteMethods.allowed(path: request.uri.path), !methods.contains(request.method) {
            let allow = methods.map(\.rawValue).joined(separator: ", ")
            return Problem.make(405, "\(request.method) is not allowed on \(request.uri.path): it answers \(allow)")
                .response(headers: [.allow: allow])
        }
        return try await next(request, context)
    }
}
