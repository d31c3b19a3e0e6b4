/// The metric history in PostgreSQL: `SQLiteStore+History.swift`'s table. Several instances may
/// add to the same row at once (two partitions' agents see one service): the rows of a batch are
/// created if missing, locked in key order, merged in Swift and updated, three statements per
/// batch whatever its size.
extension PostgresStore {
    static let historySchema = [
        """
        CREATE TABLE IF NOT EXISTS metric_point (kind INT NOT NULL, subject TEXT NOT NULL, scale INT NOT NULL, bucket BIGINT NOT NULL,
            \(MetricSums.counterNames.map { "\($0) BIGINT NOT NULL" }.joined(separator: ", ")),
            rtt TEXT NOT NULL, response_time TEXT NOT NULL, PRIMARY KEY (kind, subject, scale, bucket))
        """,
        "CREATE INDEX IF NOT EXISTS metric_point_age ON metric_point (scale, bucket)",
    ]

    private static let columns = MetricSums.counterNames.joined(separator: ", ") + ", rtt, response_time"

    /// Adds the batch's sums to the stored rows, inside the batch's transaction (connection locked).
    func writeMetrics(_ rows: [MetricRowKey: MetricSums]) throws {
        guard !rows.isEmpty else { return }
        let keys = rows.keys.sorted {
            ($0.series.kind.rawValue, $0.series.subject, $0.scale.rawValue, $0.bucket) < ($1.series.kind.rawValue, $1.series.subject, $1.scale.rawValue, $1.bucket)
        }
        let keyArrays = [PostgresArray.numbers(keys.map(\.series.kind.rawValue)), PostgresArray.text(keys.map(\.series.subject)),
                         PostgresArray.numbers(keys.map(\.scale.rawValue)), PostgresArray.numbers(keys.map(\.bucket))]
        let zeros = MetricSums.counterNames.map { _ in "0" }.joined(separator: ", ")
        try connection.execute("""
            INSERT INTO metric_point (kind, subject, scale, bucket, \(Self.columns))
            SELECT k, s, c, b, \(zeros), '', '' FROM unnest($1::int[], $2::text[], $3::int[], $4::bigint[]) AS u(k, s, c, b)
            ON CONFLICT DO NOTHING
            """, keyArrays)
        var merged = rows
        let stored = try connection.execute("""
            SELECT m.kind, m.subject, m.scale, m.bucket, \(Self.columns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
            FROM metric_point m JOIN unnest($1::int[], $2::text[], $3::int[], $4::bigint[]) AS u(k, s, c, b)
              ON m.kind = u.k AND m.subject = u.s AND m.scale = u.c AND m.bucket = u.b
            ORDER BY m.kind, m.subject, m.scale, m.bucket FOR UPDATE OF m
            """, keyArrays)
        for r in stored.rows {
            guard let kind = r[0].flatMap(Int.init).flatMap(SeriesKey.Kind.init(rawValue:)), let subject = r[1],
                  let scale = r[2].flatMap(Int.init).flatMap(HistoryScale.init(rawValue:)), let bucket = r[3].flatMap({ Int64($0) }) else { continue }
            let key = MetricRowKey(series: SeriesKey(kind: kind, subject: subject), scale: scale, bucket: bucket)
            guard let added = rows[key] else { continue }
            var sums = Self.point(Array(r.dropFirst(4)))
            sums.merge(added)
            merged[key] = sums
        }
        var arrays = keyArrays
        for (k, _) in MetricSums.counterNames.enumerated() {
            arrays.append(PostgresArray.numbers(keys.map { merged[$0]?.counters[k] ?? 0 }))
        }
        arrays.append(PostgresArray.text(keys.map { HistogramText.encode(merged[$0]?.rtt ?? .init()) }))
        arrays.append(PostgresArray.text(keys.map { HistogramText.encode(merged[$0]?.responseTime ?? .init()) }))
        let n = MetricSums.counterNames.count
        let sets = (MetricSums.counterNames + ["rtt", "response_time"]).map { "\($0) = u.\($0)" }.joined(separator: ", ")
        let types = Array(repeating: "bigint[]", count: n) + ["text[]", "text[]"]
        let params = types.enumerated().map { "$\($0.offset + 5)::\($0.element)" }.joined(separator: ", ")
        try connection.execute("""
            UPDATE metric_point m SET \(sets)
            FROM unnest($1::int[], $2::text[], $3::int[], $4::bigint[], \(params)) AS u(k, s, c, b, \(Self.columns))
            WHERE m.kind = u.k AND m.subject = u.s AND m.scale = u.c AND m.bucket = u.b
            """, arrays)
    }

    /// The sums of the counters then the two histograms, as text columns.
    private static func point(_ r: [String?]) -> MetricSums {
        var s = MetricSums()
        let n = MetricSums.counterNames.count
        guard r.count >= n + 2 else { return s }
        s.counters = (0..<n).map { r[$0].flatMap { Int64($0) } ?? 0 }
        s.rtt = HistogramText.decode(r[n])
        s.responseTime = HistogramText.decode(r[n + 1])
        return s
    }

    public func series(_ series: SeriesKey, scale: HistoryScale, from: Int64, to: Int64) throws -> [MetricPoint] {
        try locked {
            try connection.execute("""
                SELECT bucket, \(Self.columns) FROM metric_point WHERE kind = $1 AND subject = $2 AND scale = $3 AND bucket >= $4 AND bucket < $5
                ORDER BY bucket
                """, ["\(series.kind.rawValue)", series.subject, "\(scale.rawValue)", "\(from)", "\(to)"]).rows.compactMap { r in
                guard let bucket = r[0].flatMap({ Int64($0) }) else { return nil }
                return MetricPoint(bucket: bucket, sums: Self.point(Array(r.dropFirst())))
            }
        }
    }

    public func pruneHistory(before cutoffs: [HistoryScale: Int64]) throws {
        try locked {
            for (scale, cutoff) in cutoffs {
                try connection.execute("DELETE FROM metric_point WHERE scale = $1 AND bucket < $2", ["\(scale.rawValue)", "\(cutoff)"])
            }
        }
    }
}
