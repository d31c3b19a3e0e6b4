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
    }

    /// Collects the response body; reached from libcurl's write callback through a pointer.
    final class BodySink {
        var bytes: [UInt8] = []
        var limit = 64 << 10
        /// More bytes came than `limit` allows (the rest was dropped).
        var truncated = false
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

    /// POSTs `payload` to `url` with `headers` (`Name: value` lines).
    func post(url: String, payload: [UInt8], headers: [String], timeoutSeconds: Double, connectTimeoutSeconds: Double,
              caFile: String?) -> Response {
        perform(url: url, payload: payload, headers: headers, timeoutSeconds: timeoutSeconds,
                connectTimeoutSeconds: connectTimeoutSeconds, caFile: caFile, bodyLimit: 64 << 10)
    }

    private func perform(url: String, payload: [UInt8]?, headers: [String], timeoutSeconds: Double,
                         connectTimeoutSeconds: Double, caFile: String?, bodyLimit: Int) -> Response {
        curl_easy_reset(handle)
        body.bytes.removeAll(keepingCapacity: true)
        body.limit = bodyLimit
        body.truncated = false
        var list: UnsafeMutablePointer<curl_slist>?
        for h in headers { list = curl_slist_append(list, h) }
        defer { curl_slist_free_all(list) }
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
                _ = vigie_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, err.baseAddress)
                _ = vigie_curl_set_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(body).toOpaque())
                _ = vigie_curl_set_write_function(handle) { data, size, count, context in
                    guard let data, let context else { return 0 }
                    let sink = Unmanaged<BodySink>.fromOpaque(context).takeUnretainedValue()
                    let n = size * count
                    let keep = min(n, max(0, sink.limit - sink.bytes.count))
                    if keep < n { sink.truncated = true }
                    data.withMemoryRebound(to: UInt8.self, capacity: n) { sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: keep)) }
                    return n
                }
                return curl_easy_perform(handle)
            }
        }
        if code != CURLE_OK {
            let detail = String(cString: errorBuffer)
            return Response(status: 0, transportError: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail, body: [])
        }
        var status = 0
        _ = vigie_curl_get_response_code(handle, &status)
        return Response(status: status, transportError: nil, body: body.bytes)
    }
}
