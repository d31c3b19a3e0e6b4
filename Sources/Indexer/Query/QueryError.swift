/// A query the parser refuses, with the position of the offending token so that an API can answer
/// "400: unknown field at character 12".
public struct QueryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of mistake.
    public enum Code: String, Sendable, Hashable {
        case badCharacter = "unexpected character"
        case unexpectedToken = "unexpected token"
        case unexpectedEnd = "unexpected end of query"
        case unbalancedParenthesis = "unbalanced parenthesis"
        case unknownField = "unknown field"
        case badQualifier = "qualifier does not apply"
        case badAddress = "malformed address"
        case badNetwork = "malformed network"
        case badPort = "malformed port"
        case badNumber = "malformed number"
        case badName = "malformed name"
        case badTime = "malformed time"
        case timeOutOfRange = "time out of range"
        case tooDeep = "query nested too deeply"
        case tooLong = "query too long"
        case invertedTimeRange = "inverted time range"
        case misplacedTimeBound = "time bound not at top level"
    }

    /// The kind of mistake.
    public var code: Code
    /// Character offset (0-based) of the offending token in the query text.
    public var offset: Int
    /// Length in characters of the offending token (0 at the end of the query).
    public var length: Int
    /// A human-readable explanation.
    public var message: String

    /// Creates an error pointing at `length` characters from `offset`.
    public init(_ code: Code, offset: Int, length: Int, _ message: String) {
        self.code = code
        self.offset = offset
        self.length = length
        self.message = message
    }

    public var description: String { "\(code.rawValue) at character \(offset): \(message)" }
}
