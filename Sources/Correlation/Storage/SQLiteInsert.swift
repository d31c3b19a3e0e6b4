import GRDB
import GRDBSQLite

/// A cached statement whose rows are bound and stepped through the SQLite C API: no
/// `StatementArguments` (an array of existentials, converted value by value) per row. Inserts,
/// updates, and a query's first row (the metric history's read-merge-write).
/// Used inside a `SQLiteStore` write transaction only.
struct RowInserter {
    private let statement: Statement
    private let connection: SQLiteConnection?
    private var handle: SQLiteStatement { statement.sqliteStatement }
    /// `SQLITE_TRANSIENT`: SQLite copies bound text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        connection = db.sqliteConnection
        sqlite3_reset(handle)
    }

    func bind(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            // An empty buffer may have no address: bind a real empty string, not NULL.
            if utf8.isEmpty {
                sqlite3_bind_text(handle, index, "", 0, Self.transient)
            } else {
                utf8.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), Self.transient) }
            }
        }
    }

    func bind(_ index: Int32, _ text: String?) {
        if let text { bind(index, text) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(handle, index, value) }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }

    func bind(_ index: Int32, bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in
            if b.isEmpty {
                sqlite3_bind_text(handle, index, "", 0, Self.transient)
            } else {
                b.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), Self.transient) }
            }
        }
    }

    /// Runs a query to its first row: true when there is one (read it with ``int64(_:)`` and
    /// ``text(_:)``, then ``reset()``), false when none (the statement is reset).
    func first() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else { throw error(code) }
        return false
    }

    /// Steps a query to its next row: true when there is one, false at the end (the statement is reset).
    func next() throws -> Bool { try first() }

    /// Column `index` (0-based) of the current row.
    func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// The bytes of text column `index` of the current row, valid until the next step or reset.
    func text(_ index: Int32) -> UnsafeRawBufferPointer {
        guard let p = sqlite3_column_text(handle, index) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, index)))
    }

    func reset() { sqlite3_reset(handle) }

    private func error(_ code: Int32) -> DatabaseError {
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
    }

    /// Inserts the bound row; every parameter must have been bound for this row.
    func insert() throws {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else {
            let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }
}
