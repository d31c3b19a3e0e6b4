/// A hardened blocking HTTP POST (the server's webhook notifications), on ``CurlEasy``'s hardened
/// path: http and https only, no redirect, no proxy, connect and total timeouts, the connection
/// pinned to checked addresses (`resolve`). Call it from a thread of its own, never from the async pool.
public enum HTTPPost {
    public struct Result: Sendable {
        /// HTTP status; 0 when no answer came.
        public var status: Int
        /// libcurl's error text when the transfer failed.
        public var error: String?
    }

    public static func send(_ url: String, body: [UInt8], headers: [String], timeoutSeconds: Double, resolve: [String] = [],
                            caFile: String? = nil) -> Result {
        let curl: CurlEasy
        do { curl = try CurlEasy() } catch { return Result(status: 0, error: error.description) }
        var options = CurlEasy.Options()
        options.headers = headers
        options.resolve = resolve
        options.caFile = caFile
        let timeout = min(max(timeoutSeconds, 0.001), 86_400)
        let r = curl.post(url: url, payload: body, timeoutSeconds: timeout, connectTimeoutSeconds: min(timeout, 5), options: options)
        return Result(status: r.status, error: r.transportError)
    }
}
