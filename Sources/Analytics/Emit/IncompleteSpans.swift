/// Packet-time spans `(from, to]` in which analytics shed packets (most recent last, at most 64,
/// merged when they touch): the service windows and edge intervals overlapping one are written
/// with `"incomplete": true`.
struct IncompleteSpans {
    private var spans: [(from: Int64, to: Int64)] = []

    mutating func note(from: Int64, to: Int64) {
        if let last = spans.last, from <= last.to {
            spans[spans.count - 1].to = max(last.to, to)
        } else {
            spans.append((from, to))
            if spans.count > 64 { spans.removeFirst() }
        }
    }

    /// Whether `[start, end)` overlaps a span in which packets were shed.
    func overlap(_ start: Int64, _ end: Int64) -> Bool {
        spans.contains { $0.from < end && $0.to >= start }
    }
}
