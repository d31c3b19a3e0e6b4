import GRDB

/// The metric history in SQLite (docs/history.md): one row per series, scale and bucket, clustered
/// by time (`scale, bucket, …`): a batch's windows fall in the latest buckets, so its updates touch
/// few pages, and retention deletes a key range. Charts read through the `(kind, subject, scale,
/// bucket)` index. Rows are updated in place (the index is written only for a new row).
extension SQLiteStore {
    static func registerHistory(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-metric-history") { db in
            let counters = MetricSums.counterNames.map { "\($0) INTEGER NOT NULL" }.joined(separator: ", ")
            try db.execute(sql: """
                CREATE TABLE metric_point (scale INTEGER NOT NULL, bucket INTEGER NOT NULL, kind INTEGER NOT NULL, subject TEXT NOT NULL,
                    \(counters), rtt TEXT NOT NULL, response_time TEXT NOT NULL,
                    PRIMARY KEY (scale, bucket, kind, subject)) WITHOUT ROWID;
                CREATE INDEX metric_point_series ON metric_point (kind, subject, scale, bucket);
                """)
        }
    }

    static let columns = MetricSums.counterNames.joined(separator: ", ") + ", rtt, response_time"

    /// Adds each row's sums to the stored row (read, merge in Swift, update in place or insert),
    /// in key order, through the C API (this runs for every row a batch touches: up to 16 per
    /// edge window). Inside the batch's write transaction.
    static func writeMetrics(_ rows: [MetricRowKey: MetricSums], _ db: Database) throws {
        guard !rows.isEmpty else { return }
        let key = "scale = ? AND bucket = ? AND kind = ? AND subject = ?"
        let n = Int32(MetricSums.counterNames.count)
        let read = try RowInserter(db, sql: "SELECT \(columns) FROM metric_point WHERE \(key)")
        let sets = (MetricSums.counterNames + ["rtt", "response_time"]).map { "\($0) = ?" }.joined(separator: ", ")
        let update = try RowInserter(db, sql: "UPDATE metric_point SET \(sets) WHERE \(key)")
        let placeholders = Array(repeating: "?", count: 4 + MetricSums.counterNames.count + 2).joined(separator: ", ")
        let insert = try RowInserter(db, sql: "INSERT INTO metric_point (\(columns), scale, bucket, kind, subject) VALUES (\(placeholders))")
        func bindKey(_ s: RowInserter, _ k: MetricRowKey, from i: Int32) {
            s.bind(i, Int64(k.scale.rawValue)); s.bind(i + 1, k.bucket); s.bind(i + 2, Int64(k.series.kind.rawValue)); s.bind(i + 3, k.series.subject)
        }
        func bindValues(_ s: RowInserter, _ sums: MetricSums) {
            for (i, v) in sums.counters.enumerated() { s.bind(Int32(i + 1), v) }
            s.bind(n + 1, bytes: HistogramText.bytes(sums.rtt)); s.bind(n + 2, bytes: HistogramText.bytes(sums.responseTime))
        }
        for k in rows.keys.sorted(by: timeMajor) {
            guard let added = rows[k] else { continue }
            bindKey(read, k, from: 1)
            if try read.first() {
                var sums = Self.sums(read, from: 0)
                read.reset()
                sums.merge(added)
                bindValues(update, sums); bindKey(update, k, from: n + 3)
                try update.insert()
            } else {
                bindValues(insert, added); bindKey(insert, k, from: n + 3)
                try insert.insert()
            }
        }
    }

    /// The table's key order: a batch's rows are written page after page.
    static func timeMajor(_ a: MetricRowKey, _ b: MetricRowKey) -> Bool {
        (a.scale.rawValue, a.bucket, a.series.kind.rawValue, a.series.subject) < (b.scale.rawValue, b.bucket, b.series.kind.rawValue, b.series.subject)
    }

    /// The sums of the current row of `s`, whose `columns` start at column `first`.
    private static func sums(_ s: RowInserter, from first: Int32) -> MetricSums {
        let n = Int32(MetricSums.counterNames.count)
        var sums = MetricSums()
        sums.counters = (first ..< first + n).map { s.int64($0) }
        sums.rtt = HistogramText.decode(s.text(first + n))
        sums.responseTime = HistogramText.decode(s.text(first + n + 1))
        return sums
    }

    public func series(_ series: SeriesKey, scale: HistoryScale, from: Int64, to: Int64) throws -> [MetricPoint] {
        try db.read { db in
            let query = try RowInserter(db, sql: """
                SELECT bucket, \(Self.columns) FROM metric_point INDEXED BY metric_point_series
                WHERE kind = ? AND subject = ? AND scale = ? AND bucket >= ? AND bucket < ?
                ORDER BY bucket
                """)
            query.bind(1, Int64(series.kind.rawValue)); query.bind(2, series.subject); query.bind(3, Int64(scale.rawValue))
            query.bind(4, from); query.bind(5, to)
            var points: [MetricPoint] = []
            while try query.next() { points.append(MetricPoint(bucket: query.int64(0), sums: Self.sums(query, from: 1))) }
            return points
        }
    }

    public func pruneHistory(before cutoffs: [HistoryScale: Int64]) throws {
        guard !cutoffs.isEmpty else { return }
        try db.write { db in
            for (scale, cutoff) in cutoffs {
                try db.execute(sql: "DELETE FROM metric_point WHERE scale = ? AND bucket < ?", arguments: [scale.rawValue, cutoff])
            }
        }
    }
}

extension SQLiteStore {
    /// Drops the series index while a generated history is loaded (``loadHistory(_:)`` in key
    /// order then appends only); ``endHistoryLoad()`` builds it again in one sorted pass.
    public func beginHistoryLoad() throws {
        try db.write { try $0.execute(sql: "DROP INDEX IF EXISTS metric_point_series") }
    }

    public func endHistoryLoad() throws {
        try db.write { try $0.execute(sql: "CREATE INDEX IF NOT EXISTS metric_point_series ON metric_point (kind, subject, scale, bucket)") }
    }

    /// Inserts history rows as they are, in one transaction, replacing rows with the same key (no
    /// merge): for loading a generated history (`vigie-bench history-load`) or copying one store
    /// into another. Ingest uses the merging write.
    public func loadHistory(_ rows: [(MetricRowKey, MetricSums)]) throws {
        guard !rows.isEmpty else { return }
        try db.write { db in
            let insert = try RowInserter(db, sql: "INSERT OR REPLACE INTO metric_point (scale, bucket, kind, subject, \(Self.columns)) VALUES (\(Array(repeating: "?", count: 6 + MetricSums.counterNames.count).joined(separator: ", ")))")
            for (key, sums) in rows.sorted(by: { Self.timeMajor($0.0, $1.0) }) {
                insert.bind(1, Int64(key.scale.rawValue)); insert.bind(2, key.bucket)
                insert.bind(3, Int64(key.series.kind.rawValue)); insert.bind(4, key.series.subject)
                for (k, v) in sums.counters.enumerated() { insert.bind(Int32(5 + k), v) }
                let n = Int32(5 + MetricSums.counterNames.count)
                insert.bind(n, HistogramText.encode(sums.rtt)); insert.bind(n + 1, HistogramText.encode(sums.responseTime))
                try insert.insert()
            }
        }
    }
}
