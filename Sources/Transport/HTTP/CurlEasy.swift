import CCurl

/// Owns one libcurl easy handle (`CURL *`). One sink thread uses it; the handle keeps its
/// connection alive between requests.
final class CurlEasy {
    /// The outcome of one request.
    struct Response {
        /// HTTP status, 0 when no response came (connection failure, timeout).
        var status: Int
        /// libcurl's error text when the transfer itself failed.
        var transportError: String?
        /// The first bytes of the response body (for logs and dead-letter notes).
        var body: [UInt8]
        /// libcurl's result code (`CURLE_OK` is 0).
        var curlCode = 0
        /// The transfer was aborted because the body exceeded the limit (``Options/abortOverLimit``).
        var tooLarge = false
    }

    /// Options of a hardened GET (the server's drill-down).
    struct Options {
        /// More request headers (`Name: value`).
        var headers: [String] = []
        var caFile: String?
        /// Client certificate and key (PEM) for mutual TLS.
        var certFile: String?
        var keyFile: String?
        /// Abort the transfer (instead of dropping the rest) when the body exceeds the limit.
        var abortOverLimit = false
        /// `HOST:PORT:ADDRESS` pins (CURLOPT_RESOLVE): the address checked is the one connected to.
        var resolve: [String] = []
    }

    /// Collects the response body; reached from libcurl's write callback through a pointer.
    final class BodySink {
        var bytes: [UInt8] = []
        var limit = 64 << 10
        /// More bytes came than `limit` allows (the rest was dropped).
        var truncated = false
        /// Return 0 from the write callback (libcurl aborts with CURLE_WRITE_ERROR) past `limit`.
        var abortOverLimit = false
        var aborted = false
    }

    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    private let handle: UnsafeMutableRawPointer
    private let body = BodySink()

    init() throws(ExportError) {
        guard Self.globalInit, let h = curl_easy_init() else { throw ExportError(.http, context: "libcurl", "cannot initialise") }
        handle = h
    }

    deinit { curl_easy_cleanup(handle) }

    /// GETs `url`, keeping at most `maxBytes` of the body (``Response/truncated`` says when more came).
    func get(url: String, timeoutSeconds: Double, maxBytes: Int, caFile: String?) -> (Response, truncated: Bool) {
        let response = perform(url: url, payload: nil, headers: [], timeoutSeconds: timeoutSeconds,
                               connectTimeoutSeconds: min(5, timeoutSeconds), caFile: caFile, bodyLimit: maxBytes)
        return (response, body.truncated)
    }

    /// A hardened GET: http/https only, no redirects, the given headers, TLS client certificate,
    /// address pins; the transfer is aborted when the body exceeds `maxBytes` (with `abortOverLimit`).
    func get(url: String, timeoutSeconds: Double, connectTimeoutSeconds: Double, maxBytes: Int, options: Options) -> Response {
        perform(url: url, payload: nil, headers: options.headers, timeoutSeconds: timeoutSeconds,
                connectTimeoutSeconds: connectTimeoutSeconds, caFile: options.caFile, bodyLimit: maxBytes, options: options)
    }

    /// POSTs `payload` to `url` with `headers` (`Name: value` lines).
    func post(url: String, payload: [UInt8], headers: [String], timeoutSeconds: Double, connectTimeoutSeconds: Double,
              caFile: String?) -> Response {
        perform(url: url, payload: payload, headers: headers, timeoutSeconds: timeoutSeconds,
                connectTimeoutSeconds: connectTimeoutSeconds, caFile: caFile, bodyLimit: 64 << 10)
    }

    /// A hardened POST (the hardened GET's rules: http/https only, no redirect, no proxy, address
    /// pins); at most 64 KiB of the answer's body is kept.
    func post(url: String, payload: [UInt8], timeoutSeconds: Double, connectTimeoutSeconds: Double, options: Options) -> Response {
        perform(url: url, payload: payload, headers: options.headers, timeoutSeconds: timeoutSeconds,
                connectTimeoutSeconds: connectTimeoutSeconds, caFile: options.caFile, bodyLimit: 64 << 10, options: options)
    }

    private func perform(url: String, payload: [UInt8]?, headers: [String], timeoutSeconds: Double,
                         connectTimeoutSeconds: Double, caFile: String?, bodyLimit: Int, options: Options? = nil) -> Response {
        curl_easy_reset(handle)
        body.bytes.removeAll(keepingCapacity: true)
        body.limit = bodyLimit
        body.truncated = false
        body.abortOverLimit = options?.abortOverLimit ?? false
        body.aborted = false
        var list: UnsafeMutablePointer<curl_slist>?
        for h in headers { list = curl_slist_append(list, h) }
        defer { curl_slist_free_all(list) }
        var resolve: UnsafeMutablePointer<curl_slist>?
        for r in options?.resolve ?? [] { resolve = curl_slist_append(resolve, r) }
        defer { curl_slist_free_all(resolve) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = (payload ?? []).withUnsafeBytes { raw in
            errorBuffer.withUnsafeMutableBufferPointer { err in
                _ = vigie_curl_set_string(handle, CURLOPT_URL, url)
                if payload != nil {
                    _ = vigie_curl_set_long(handle, CURLOPT_POST, 1)
                    _ = vigie_curl_set_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
                    _ = vigie_curl_set_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(raw.count))
                } else {
                    _ = vigie_curl_set_long(handle, CURLOPT_HTTPGET, 1)
                }
                _ = vigie_curl_set_slist(handle, CURLOPT_HTTPHEADER, list)
                _ = vigie_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(timeoutSeconds * 1000))
                _ = vigie_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeoutSeconds * 1000))
                _ = vigie_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
                // TLS: verify the peer and host name always; a CA bundle may be given.
                _ = vigie_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
                _ = vigie_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
                if let caFile { _ = vigie_curl_set_string(handle, CURLOPT_CAINFO, caFile) }
                if let options {
                    // Only http and https, never a redirect (a redirect could lead anywhere).
                    _ = vigie_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
                    _ = vigie_curl_set_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
                    _ = vigie_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
                    if let cert = options.certFile { _ = vigie_curl_set_string(handle, CURLOPT_SSLCERT, cert) }
                    if let key = options.keyFile { _ = vigie_curl_set_string(handle, CURLOPT_SSLKEY, key) }
                    if resolve != nil { _ = vigie_curl_set_slist(handle, CURLOPT_RESOLVE, resolve) }
                    // Proxies from the environment would see the token and choose the route: none.
                    _ = vigie_curl_set_string(handle, CURLOPT_PROXY, "")
                }
                _ = vigie_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, err.baseAddress)
                _ = vigie_curl_set_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(body).toOpaque())
                _ = vigie_curl_set_write_function(handle) { data, size, count, context in
                    guard let data, let context else { return 0 }
                    let sink = Unmanaged<BodySink>.fromOpaque(context).takeUnretainedValue()
                    let n = size * count
                    let keep = min(n, max(0, sink.limit - sink.bytes.count))
                    if keep < n { sink.truncated = true }
                    if keep < n && sink.abortOverLimit { sink.aborted = true; return 0 }
                    data.withMemoryRebound(to: UInt8.self, capacity: n) { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: keep)) }
                    return n
                }
                return curl_easy_perform(handle)
            }
        }
        if code != CURLE_OK {
            let detail = String(cString: errorBuffer)
            return Response(status: 0, transportError: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail, body: [],
                            curlCode: Int(code.rawValue), tooLarge: body.aborted)
        }
        var status = 0
        _ = vigie_curl_get_response_code(handle, &status)
        return Response(status: status, transportError: nil, body: body.bytes)
    }
}
