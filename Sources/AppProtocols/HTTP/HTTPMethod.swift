/// Request methods recognised by name (RFC 9110 §9, PATCH RFC 5789, WebDAV RFC 4918/3253/5323,
/// UPnP/SSDP). Any other token is ``other``: a request is still recognised from its full request
/// line (`TOKEN SP target SP HTTP/1.x`).
public enum HTTPMethod: UInt8, Sendable, Hashable, CaseIterable {
    /// No request (a response, or not HTTP).
    case none
    case get, head, post, put, delete, connect, options, trace, patch
    // WebDAV and versioning extensions.
    case propfind, proppatch, mkcol, copy, move, lock, unlock, search, report, mkactivity, checkout, merge
    // UPnP / SSDP / GENA.
    case mSearch, notify, subscribe, unsubscribe
    /// A syntactically valid method token not in this list (see ``HTTPMessageStart/method``).
    case other

    /// Wire spelling of the recognised methods (methods are case-sensitive, RFC 9110 §9.1).
    static let known: [(HTTPMethod, StaticString)] = [
        (.get, "GET"), (.head, "HEAD"), (.post, "POST"), (.put, "PUT"), (.delete, "DELETE"),
        (.connect, "CONNECT"), (.options, "OPTIONS"), (.trace, "TRACE"), (.patch, "PATCH"),
        (.propfind, "PROPFIND"), (.proppatch, "PROPPATCH"), (.mkcol, "MKCOL"), (.copy, "COPY"),
        (.move, "MOVE"), (.lock, "LOCK"), (.unlock, "UNLOCK"), (.search, "SEARCH"), (.report, "REPORT"),
        (.mkactivity, "MKACTIVITY"), (.checkout, "CHECKOUT"), (.merge, "MERGE"),
        (.mSearch, "M-SEARCH"), (.notify, "NOTIFY"), (.subscribe, "SUBSCRIBE"), (.unsubscribe, "UNSUBSCRIBE"),
    ]

    /// The method whose exact spelling is `length` bytes at `offset`, or `.other`.
    static func lookup(_ p: PayloadBytes, _ offset: Int, _ length: Int) -> HTTPMethod {
        // A static table: iterating it does not allocate.
        for (method, name) in known where name.utf8CodeUnitCount == length {
            let expected = name.utf8Start
            var same = true
            for i in 0..<length where p.u8(offset + i) != expected[i] {
                same = false
                break
            }
            if same { return method }
        }
        return .other
    }
}
