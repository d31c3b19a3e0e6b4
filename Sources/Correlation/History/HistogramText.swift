import Records

/// How the history stores a latency histogram, as text in both databases (PostgreSQL's text
/// parameters carry it as is): `COUNT SUM_NS MIN_NS MAX_NS` then ` INDEX:COUNT` per non-empty
/// bucket; the empty string for an empty histogram. About 60 bytes for a typical edge.
enum HistogramText {
    static func encode(_ h: LatencyHistogram) -> String {
        guard h.count > 0 || !h.buckets.isEmpty else { return "" }
        var s = "\(h.count) \(h.sumNanos) \(h.minNanos) \(h.maxNanos)"
        for b in h.buckets { s += " \(b.index):\(b.count)" }
        return s
    }

    /// The histogram of a stored text; an empty one when the text is damaged (a chart loses that
    /// percentile rather than the server failing the request).
    static func decode(_ text: String?) -> LatencyHistogram {
        guard let text, !text.isEmpty else { return LatencyHistogram() }
        let parts = text.split(separator: " ")
        guard parts.count >= 4, let count = UInt64(parts[0]), let sum = UInt64(parts[1]),
              let min = Int64(parts[2]), let max = Int64(parts[3]) else { return LatencyHistogram() }
        var buckets: [(index: Int, count: UInt64)] = []
        for p in parts.dropFirst(4) {
            let pair = p.split(separator: ":")
            guard pair.count == 2, let i = Int(pair[0]), let c = UInt64(pair[1]) else { return LatencyHistogram() }
            buckets.append((i, c))
        }
        return LatencyHistogram(buckets: buckets, count: count, sumNanos: sum, minNanos: min, maxNanos: max) ?? LatencyHistogram()
    }
}
