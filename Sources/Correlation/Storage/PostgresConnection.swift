import CLibPQ
import Foundation

/// A PostgreSQL failure: libpq's message, the SQLSTATE when the server sent one, and whether
/// trying again later may succeed (the connection was lost: the server restarted or is unreachable).
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var sqlState: String?
    public var statement: String?
    public var isRetriable: Bool

    public var description: String {
        var s = "PostgreSQL: \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        if let sqlState { s += " (SQLSTATE \(sqlState))" }
        if let statement { s += " in: \(statement.prefix(80))" }
        return s
    }
}

/// The rows of one statement's result, as text (libpq's text format).
struct PostgresRows {
    fileprivate(set) var rows: [[String?]] = []
    subscript(row: Int, column: Int) -> String? { rows[row][column] }
    var count: Int { rows.count }
}

/// One libpq connection (`PGconn`), owned by this class and closed in `deinit`. Not thread-safe:
/// the owner serializes calls. A lost connection is re-established on the next call.
final class PostgresConnection {
    private var conn: OpaquePointer
    let url: String

    /// Connects to `url` (`postgresql://user:password@host:port/database?options`, or a libpq
    /// keyword/value string).
    init(url: String) throws(PostgresError) {
        self.url = url
        guard let c = PQconnectdb(url) else { throw PostgresError(message: "out of memory", isRetriable: false) }
        // Checked before `conn` is set: once every property is set, a throw runs deinit (which finishes `conn`).
        guard PQstatus(c) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(c))
            PQfinish(c)
            throw PostgresError(message: "cannot connect to \(Self.redacted(url)): \(message)", isRetriable: true)
        }
        conn = c
        // Notices (e.g. "relation already exists, skipping") are not errors: keep them off stderr.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
    }

    deinit { PQfinish(conn) }

    /// The URL without its password, for messages.
    static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "***"
        return c.string ?? url
    }

    /// Runs one statement with text parameters (`$1`, `$2`…; nil is SQL NULL).
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresRows {
        try reconnectIfNeeded()
        let result: OpaquePointer? = withCStrings(parameters) { pointers in
            PQexecParams(conn, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        guard let result else { throw lost(sql) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresRows()
        case PGRES_TUPLES_OK:
            var rows = PostgresRows()
            let (n, columns) = (PQntuples(result), PQnfields(result))
            rows.rows.reserveCapacity(Int(n))
            for r in 0..<n {
                rows.rows.append((0..<columns).map { c in
                    PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c))
                })
            }
            return rows
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = String(cString: PQresultErrorMessage(result))
            // Class 08: connection exceptions; 57P: operator intervention (server shutting down).
            let retriable = PQstatus(conn) != CONNECTION_OK || state?.hasPrefix("08") == true || state?.hasPrefix("57P") == true
                || state == "40001" || state == "40P01"
            throw PostgresError(message: message, sqlState: state, statement: sql, isRetriable: retriable)
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if PQstatus(conn) == CONNECTION_OK { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    private func reconnectIfNeeded() throws(PostgresError) {
        guard PQstatus(conn) != CONNECTION_OK else { return }
        PQreset(conn)
        guard PQstatus(conn) == CONNECTION_OK else {
            throw PostgresError(message: "connection to \(Self.redacted(url)) lost: \(String(cString: PQerrorMessage(conn)))", isRetriable: true)
        }
    }

    private func lost(_ sql: String) -> PostgresError {
        PostgresError(message: String(cString: PQerrorMessage(conn)), statement: sql, isRetriable: true)
    }

    /// The connection's socket (to wait for notifications with `poll`).
    var socket: Int32 { PQsocket(conn) }

    /// Reads what the server sent and returns the channels of the notifications received.
    func takeNotifications() throws(PostgresError) -> [String] {
        guard PQconsumeInput(conn) == 1 else {
            let e = PostgresError(message: String(cString: PQerrorMessage(conn)), isRetriable: true)
            try reconnectIfNeeded()
            throw e
        }
        var channels: [String] = []
        while let n = PQnotifies(conn) {
            channels.append(String(cString: n.pointee.relname))
            PQfreemem(n)
        }
        return channels
    }
}

/// Calls `body` with a C array of NUL-terminated copies of `strings` (NULL for nil).
private func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } }
    defer { for p in owned { free(p) } }
    return owned.withUnsafeMutableBufferPointer { buffer in
        body(buffer.map { $0.map { UnsafePointer($0) } })
    }
}

/// PostgreSQL array literals, to send a whole column in one parameter (`unnest($1::text[])`).
enum PostgresArray {
    /// `{"a","b\"c",NULL}`: every element quoted, `"` and `\` escaped.
    static func text(_ values: [String?]) -> String {
        var s = "{"
        for (i, v) in values.enumerated() {
            if i > 0 { s += "," }
            guard let v else { s += "NULL"; continue }
            s += "\""
            for ch in v.unicodeScalars {
                if ch == "\"" || ch == "\\" { s += "\\" }
                s.unicodeScalars.append(ch)
            }
            s += "\""
        }
        return s + "}"
    }

    static func numbers(_ values: [some Numeric & CustomStringConvertible]) -> String {
        "{" + values.map(\.description).joined(separator: ",") + "}"
    }
}
