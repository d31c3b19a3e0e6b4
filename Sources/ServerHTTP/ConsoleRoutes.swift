import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension ServerAPI {
    /// The operator console (docs/console.md): `/` its page, `/console/...` its scripts and style,
    /// all compiled into the binary (Package.swift `.embedInCode`). The page draws everything from the
    /// JSON API in the browser; the server only serves the files.
    enum ConsoleRoutes {
        static let routes: [APIRoute] = [
            APIRoute(.get, "/") { _, _, _ -> Response in asset(ConsoleAssets.index) },
            APIRoute(.get, "console/**") { _, context, _ -> Response in
                let path = context.parameters.getCatchAll().joined(separator: "/")
                guard let file = ConsoleAssets.files[path] else { return Problem.notFound("no console file '\(path)'") }
                return asset(file)
            },
        ]

        static func asset(_ file: ConsoleAssets.File) -> Response {
            var headers = HTTPFields()
            headers[.contentType] = file.contentType
            // The page itself is always revalidated (it names the scripts); scripts and style are
            // short-lived too: they change with the binary and carry no version in their name.
            headers[.cacheControl] = file.contentType.hasPrefix("text/html") ? "no-cache" : "max-age=300"
            headers[.contentSecurityPolicy] = ConsoleAssets.contentSecurityPolicy
            headers[.xContentTypeOptions] = "nosniff"
            headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"  // a valid constant name
            headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
        }
    }
}

/// The console's files as compiled in, by path under `/console/`.
enum ConsoleAssets {
    struct File: Sendable { var bytes: [UInt8]; var contentType: String }

    /// Only this server's own files: no inline script or style, no other origin, no frames
    /// (`frame-ancestors`: no clickjacking of the operator buttons).
    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    static let javascript = "text/javascript; charset=utf-8"

    static let index = File(bytes: PackageResources.index_html, contentType: "text/html; charset=utf-8")

    static let files: [String: File] = [
        "console.css": File(bytes: PackageResources.console_css, contentType: "text/css; charset=utf-8"),
        "app.js": File(bytes: PackageResources.app_js, contentType: javascript),
        "api.js": File(bytes: PackageResources.api_js, contentType: javascript),
        "dom.js": File(bytes: PackageResources.dom_js, contentType: javascript),
        "chart.js": File(bytes: PackageResources.chart_js, contentType: javascript),
        "pages/weather.js": File(bytes: PackageResources.weather_js, contentType: javascript),
        "pages/node.js": File(bytes: PackageResources.node_js, contentType: javascript),
        "pages/map.js": File(bytes: PackageResources.map_js, contentType: javascript),
        "pages/agents.js": File(bytes: PackageResources.agents_js, contentType: javascript),
        "pages/events.js": File(bytes: PackageResources.events_js, contentType: javascript),
        "pages/drilldown.js": File(bytes: PackageResources.drilldown_js, contentType: javascript),
        "pages/login.js": File(bytes: PackageResources.login_js, contentType: javascript),
    ]
}
