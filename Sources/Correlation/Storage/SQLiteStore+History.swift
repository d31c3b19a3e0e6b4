import GRDB

/// The metric history in SQLite (docs/history.md): one row per series, scale and bucket, in a
/// table clustered on its primary key (a chart is one range scan), aged out by `(scale, bucket)`.
extension SQLiteStore {
    static func registerHistory(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-metric-history") { db in
            let counters = MetricSums.counterNames.map { "\($0) INTEGER NOT NULL" }.joined(separator: ", ")
            try db.execute(sql: """
                CREATE TABLE metric_point (kind INTEGER NOT NULL, subject TEXT NOT NULL, scale INTEGER NOT NULL, bucket INTEGER NOT NULL,
                    \(counters), rtt TEXT NOT NULL, response_time TEXT NOT NULL,
                    PRIMARY KEY (kind, subject, scale, bucket)) WITHOUT ROWID;
                CREATE INDEX metric_point_age ON metric_point (scale, bucket);
                """)
        }
    }

    static let columns = MetricSums.counterNames.joined(separator: ", ") + ", rtt, response_time"

    /// Adds each row's sums to the stored row (read, merge, replace: histograms merge in Swift).
    /// Inside the batch's write transaction.
    static func writeMetrics(_ rows: [MetricRowKey: MetricSums], _ db: Database) throws {
        guard !rows.isEmpty else { return }
        let read = try db.cachedStatement(sql: "SELECT \(columns) FROM metric_point WHERE kind = ? AND subject = ? AND scale = ? AND bucket = ?")
        let placeholders = Array(repeating: "?", count: 4 + MetricSums.counterNames.count + 2).joined(separator: ", ")
        let write = try db.cachedStatement(sql: "INSERT OR REPLACE INTO metric_point (kind, subject, scale, bucket, \(columns)) VALUES (\(placeholders))")
        for (key, added) in rows {
            let where_: StatementArguments = [key.series.kind.rawValue, key.series.subject, key.scale.rawValue, key.bucket]
            var sums = added
            if let row = try Row.fetchOne(read, arguments: where_) {
                sums = point(row)
                sums.merge(added)
            }
            var arguments = where_
            arguments += StatementArguments(sums.counters)
            arguments += [HistogramText.encode(sums.rtt), HistogramText.encode(sums.responseTime)]
            try write.execute(arguments: arguments)
        }
    }

    /// The sums of a row whose `columns` start at `offset`.
    private static func point(_ row: Row, offset: Int = 0) -> MetricSums {
        var s = MetricSums()
        s.counters = MetricSums.counterNames.indices.map { row[offset + $0] as Int64? ?? 0 }
        s.rtt = HistogramText.decode(row[offset + MetricSums.counterNames.count])
        s.responseTime = HistogramText.decode(row[offset + MetricSums.counterNames.count + 1])
        return s
    }

    public func series(_ series: SeriesKey, scale: HistoryScale, from: Int64, to: Int64) throws -> [MetricPoint] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT bucket, \(Self.columns) FROM metric_point WHERE kind = ? AND subject = ? AND scale = ? AND bucket >= ? AND bucket < ?
                ORDER BY bucket
                """, arguments: [series.kind.rawValue, series.subject, scale.rawValue, from, to]).map { row in
                MetricPoint(bucket: row[0] as Int64? ?? 0, sums: Self.point(row, offset: 1))
            }
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
    /// Inserts history rows as they are, in one transaction, replacing rows with the same key (no
    /// merge): for loading a generated history (`vigie-bench history-load`) or copying one store
    /// into another. Ingest uses the merging write.
    public func loadHistory(_ rows: [(MetricRowKey, MetricSums)]) throws {
        guard !rows.isEmpty else { return }
        try db.write { db in
            let insert = try RowInserter(db, sql: "INSERT OR REPLACE INTO metric_point (kind, subject, scale, bucket, \(Self.columns)) VALUES (\(Array(repeating: "?", count: 6 + MetricSums.counterNames.count).joined(separator: ", ")))")
            for (key, sums) in rows {
                insert.bind(1, Int64(key.series.kind.rawValue)); insert.bind(2, key.series.subject)
                insert.bind(3, Int64(key.scale.rawValue)); insert.bind(4, key.bucket)
                for (k, v) in sums.counters.enumerated() { insert.bind(Int32(5 + k), v) }
                let n = Int32(5 + MetricSums.counterNames.count)
                insert.bind(n, HistogramText.encode(sums.rtt)); insert.bind(n + 1, HistogramText.encode(sums.responseTime))
                try insert.insert()
            }
        }
    }
}
