import Correlation

/// `GET /`: a plain HTML table of the weather (refreshes every 10 s; no script).
enum WeatherPage {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let colors: [Health: String] = [.ok: "#cfc", .warning: "#ffc", .degraded: "#fc9", .down: "#f99", .unknown: "#ddd"]

    static func render(_ w: Weather) -> String {
        var rows = ""
        for e in w.nodes {
            var flags: [String] = []
            if e.idle { flags.append("idle") }
            if e.maintenance { flags.append("maintenance") }
            if e.acknowledged { flags.append("acknowledged") }
            if e.flapping { flags.append("flapping") }
            rows += "<tr><td>\(escape(e.kind.rawValue))</td><td>\(escape(e.name ?? e.id))<br><small>\(escape(e.id))</small></td>"
            rows += "<td style=\"background:\(colors[e.state]!)\">\(e.state.rawValue)</td><td>\(Int((e.coverage * 100).rounded())) %</td>"
            rows += "<td>\(escape(e.causes.joined(separator: ", ")))</td><td>\(escape(e.rootCauses.joined(separator: ", ")))</td>"
            rows += "<td>\(flags.joined(separator: ", "))</td></tr>\n"
        }
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><meta http-equiv="refresh" content="10"><title>Vigie — weather</title>
            <style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;text-align:left}</style>
            </head><body><h1>Vigie — weather</h1>
            <p>Generated \(escape(Timestamp.format(w.generatedAt))). JSON: <a href="/api/v1/weather">/api/v1/weather</a>, events: /api/v1/events, metrics: <a href="/metrics">/metrics</a>.</p>
            <table><tr><th>kind</th><th>node</th><th>state</th><th>coverage</th><th>causes</th><th>root causes</th><th>flags</th></tr>
            \(rows)</table></body></html>

            """
    }
}
