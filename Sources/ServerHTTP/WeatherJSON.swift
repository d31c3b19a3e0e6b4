import Correlation

/// `GET /api/v1/weather` written by hand: the console asks for every node, and with 10,000
/// endpoints JSONEncoder took most of the answer's time (Benchmarks/RESULTS.md, "Metric history").
/// The members are JSONEncoder's (snake case, absent optionals), numbers in their shortest form.
enum WeatherJSON {
    static func encode(_ w: Weather) -> String {
        var out = "{\"generated_at\":" + number(w.generatedAt) + ",\"nodes\":["
        out.reserveCapacity(64 + w.nodes.count * 200)
        for (k, n) in w.nodes.enumerated() {
            if k > 0 { out += "," }
            out += "{\"id\":" + JSONText.quoted(n.id) + ",\"kind\":\"" + n.kind.rawValue + "\""
            if let name = n.name { out += ",\"name\":" + JSONText.quoted(name) }
            out += ",\"state\":\"" + n.state.rawValue + "\",\"coverage\":" + number(n.coverage)
            out += ",\"causes\":" + strings(n.causes) + ",\"root_causes\":" + strings(n.rootCauses)
            if let score = n.score { out += ",\"score\":" + number(score) }
            out += ",\"idle\":\(n.idle),\"maintenance\":\(n.maintenance),\"acknowledged\":\(n.acknowledged)"
            out += ",\"flapping\":\(n.flapping),\"forced\":\(n.forced)}"
        }
        return out + "]}"
    }

    private static func strings(_ list: [String]) -> String {
        "[" + list.map { JSONText.quoted($0) }.joined(separator: ",") + "]"
    }

    /// An integral value without a fraction, others in Swift's shortest round-trip form; a value
    /// JSON cannot hold (not finite) as null.
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
