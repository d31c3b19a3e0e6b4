/// A plain blocking HTTP GET over libcurl, for the server's drill-down (it asks agents for
/// packets). Call it from a thread of its own, never from the async pool.
public enum HTTPFetch {
    /// What a GET returned.
    public struct Result: Sendable {
        /// HTTP status; 0 when no answer came.
        public var status: Int
        public var body: [UInt8]
        /// libcurl's error text when the transfer failed (may quote the URL: not for clients).
        public var error: String?
        /// The body was larger than the limit (the rest was dropped, or with ``Options/abortOverLimit`` the transfer aborted).
        public var truncated: Bool
        /// Why no answer came, without libcurl's text (safe to show to a client); nil with an answer.
        public var failure: Failure?
    }

    /// A transfer failure by class (what a client may be told).
    public enum Failure: Sendable, Hashable, CustomStringConvertible {
        case connectionRefused, timedOut, hostNotFound, tls, tooLarge(Int), connectionClosed, other(Int)

        public var description: String {
            switch self {
            case .connectionRefused: "connection refused"
            case .timedOut: "timed out"
            case .hostNotFound: "host not found"
            case .tls: "TLS handshake or certificate verification failed"
            case .tooLarge(let n): "answer larger than \(n) bytes (transfer aborted)"
            case .connectionClosed: "connection closed without an HTTP answer"
            case .other(let code): "transfer failed (libcurl error \(code))"
            }
        }

        static func of(curlCode code: Int, tooLarge: Bool, limit: Int) -> Failure {
            if tooLarge { return .tooLarge(limit) }
            switch code {
            case 7: return .connectionRefused          // CURLE_COULDNT_CONNECT
            case 28: return .timedOut                  // CURLE_OPERATION_TIMEDOUT
            case 6, 5: return .hostNotFound            // CURLE_COULDNT_RESOLVE_HOST / PROXY
            case 35, 53, 54, 58, 59, 60, 64, 66, 77, 80, 82, 83, 90, 91: return .tls
            case 52, 56, 55, 8, 1: return .connectionClosed  // GOT_NOTHING, RECV_ERROR, SEND_ERROR, WEIRD_SERVER_REPLY, UNSUPPORTED_PROTOCOL
            default: return .other(code)
            }
        }
    }

    /// Options of ``get(_:options:)``.
    public struct Options: Sendable {
        public var timeoutSeconds: Double = 60
        public var connectTimeoutSeconds: Double = 5
        /// Largest body; above it the transfer is aborted and ``Failure/tooLarge(_:)`` reported.
        public var maxBytes = 256 << 20
        /// More request headers, `Name: value`.
        public var headers: [String] = []
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
        /// `HOST:PORT:ADDRESS` (CURLOPT_RESOLVE): connect to the address that was checked.
        public var resolve: [String] = []
        public init() {}
    }

    /// GETs `url`; at most `maxBytes` of the body are kept.
    public static func get(_ url: String, timeoutSeconds: Double = 30, maxBytes: Int = 256 << 20, caFile: String? = nil) -> Result {
        let curl: CurlEasy
        do { curl = try CurlEasy() } catch { return Result(status: 0, body: [], error: error.description, truncated: false, failure: .other(2)) }
        let (response, truncated) = curl.get(url: url, timeoutSeconds: timeoutSeconds, maxBytes: maxBytes, caFile: caFile)
        return Result(status: response.status, body: response.body, error: response.transportError, truncated: truncated,
                      failure: response.status == 0 ? Failure.of(curlCode: response.curlCode, tooLarge: false, limit: maxBytes) : nil)
    }

    /// A hardened GET: http and https only, no redirects, no proxy, a connect and a total
    /// timeout, the transfer aborted past `options.maxBytes`, optional client certificate.
    public static func get(_ url: String, options: Options) -> Result {
        let curl: CurlEasy
        do { curl = try CurlEasy() } catch { return Result(status: 0, body: [], error: error.description, truncated: false, failure: .other(2)) }
        var o = CurlEasy.Options()
        o.headers = options.headers
        o.caFile = options.caFile
        o.certFile = options.certFile
        o.keyFile = options.keyFile
        o.abortOverLimit = true
        o.resolve = options.resolve
        let r = curl.get(url: url, timeoutSeconds: options.timeoutSeconds, connectTimeoutSeconds: min(options.connectTimeoutSeconds, options.timeoutSeconds),
                         maxBytes: options.maxBytes, options: o)
        let failure = r.status == 0 || r.tooLarge ? Failure.of(curlCode: r.curlCode, tooLarge: r.tooLarge, limit: options.maxBytes) : nil
        return Result(status: failure == nil ? r.status : 0, body: failure == nil ? r.body : [], error: r.transportError,
                      truncated: r.tooLarge, failure: failure)
    }
}
