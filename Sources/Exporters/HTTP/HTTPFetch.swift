/// A plain blocking HTTP GET over libcurl, for the server's drill-down (it asks agents for
/// packets). Call it from a thread of its own, never from the async pool.
public enum HTTPFetch {
    /// What a GET returned.
    public struct Result: Sendable {
        /// HTTP status; 0 when no answer came.
        public var status: Int
        public var body: [UInt8]
        /// libcurl's error text when the transfer failed.
        public var error: String?
        /// The body was larger than the limit (the rest was dropped).
        public var truncated: Bool
    }

    /// GETs `url`; at most `maxBytes` of the body are kept.
    public static func get(_ url: String, timeoutSeconds: Double = 30, maxBytes: Int = 256 << 20, caFile: String? = nil) -> Result {
        let curl: CurlEasy
        do { curl = try CurlEasy() } catch { return Result(status: 0, body: [], error: error.description, truncated: false) }
        let (response, truncated) = curl.get(url: url, timeoutSeconds: timeoutSeconds, maxBytes: maxBytes, caFile: caFile)
        return Result(status: response.status, body: response.body, error: response.transportError, truncated: truncated)
    }
}
