/// What ``HTTPMessageParser`` extracts from the start of an HTTP/1.x message; filled in place.
///
/// Spans point into the payload that was parsed (nothing is copied).
public struct HTTPMessageStart: Sendable, Hashable {
    /// Request, response, or neither.
    public var kind: HTTPMessageKind = .none
    /// The request method (`.none` for a response).
    public var method: HTTPMethod = .none
    /// The method token as sent (also set for recognised methods).
    public var methodText = ByteSpan.empty
    /// The request-target exactly as sent (origin form `/path?query`, absolute form, `*`, or
    /// `host:port` for CONNECT); not decoded or normalised.
    public var target = ByteSpan.empty
    /// Minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    public var minorVersion: UInt8 = 0
    /// Response status code (100...999), 0 for a request.
    public var statusCode: UInt16 = 0
    /// The first Host header's value, trimmed of surrounding spaces/tabs, port KEPT as sent
    /// (`example.com:8080`, `[::1]:80`). Empty when absent or not yet seen. See ``hostName``.
    public var host = ByteSpan.empty
    /// ``host`` without its `:port` suffix and IPv6 brackets.
    public var hostName = ByteSpan.empty
    /// Content-Length value; -1 when absent, not yet seen or invalid.
    public var contentLength: Int64 = -1
    /// Whether a Transfer-Encoding header lists `chunked` (its last coding is checked).
    public var isChunked = false
    /// Bytes from the start of the payload through the blank line ending the header block; 0 when
    /// the header block is not complete in this payload.
    public var headerLength = 0

    /// An empty value.
    public init() {}

    /// Clears every field (the parser calls this first).
    @inlinable
    public mutating func reset() { self = HTTPMessageStart() }
}

/// Whether a payload starts an HTTP/1.x request or response.
public enum HTTPMessageKind: UInt8, Sendable, Hashable {
    /// Not the start of an HTTP/1.x message (or not decidable yet: see ``HTTPParseStatus``).
    case none
    /// `METHOD SP target SP HTTP/1.x`
    case request
    /// `HTTP/1.x SP 3DIGIT`
    case response
}

/// Outcome of ``HTTPMessageParser/parse(_:into:)``. Never thrown.
public enum HTTPParseStatus: UInt8, Sendable, Hashable, CaseIterable {
    /// Start line and the whole header block were read.
    case complete
    /// The start line was read but the header block continues past the payload end: header fields
    /// found on complete lines are set, a field on the cut line is not guessed.
    case headersIncomplete
    /// The payload ends inside the start line, but everything present is consistent with HTTP/1.x
    /// (e.g. `GET /very/long/pa`): ``HTTPMessageStart/kind`` tells which side if already known.
    case startLineIncomplete
    /// Empty payload.
    case empty
    /// The payload does not start an HTTP/1.x message (binary data, another protocol, a body or a
    /// continuation segment).
    case notHTTP
    /// It starts like HTTP/1.x but the start line is broken (bad version, bad status code, control
    /// bytes in the target, a header line without a colon...). Fields read before the error stay.
    case malformed
}
