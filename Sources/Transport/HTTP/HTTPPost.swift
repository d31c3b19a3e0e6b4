import CCurl

/// A hardened blocking HTTP POST over libcurl (the server's webhook notifications): http and
/// https only, no redirect, no proxy, connect and total timeouts, the connection pinned to
/// checked addresses (`resolve`). The answer's body is discarded. Call it from a thread of its
/// own, never from the async pool.
public enum HTTPPost {
    public struct Result: Sendable {
        /// HTTP status; 0 when no answer came.
        public var status: Int
        /// libcurl's error text when the transfer failed.
        public var error: String?
    }

    /// libcurl's global state, set up once before the first handle (curl_easy_init would do it
    /// implicitly, which is not safe while another thread does the same).
    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public static func send(_ url: String, body: [UInt8], headers: [String], timeoutSeconds: Double, resolve: [String] = []) -> Result {
        guard globalInit, let handle = curl_easy_init() else { return Result(status: 0, error: "libcurl cannot initialise") }
        defer { curl_easy_cleanup(handle) }
        var list: UnsafeMutablePointer<curl_slist>?
        for h in headers { list = curl_slist_append(list, h) }
        defer { curl_slist_free_all(list) }
        var pins: UnsafeMutablePointer<curl_slist>?
        for r in resolve { pins = curl_slist_append(pins, r) }
        defer { curl_slist_free_all(pins) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let millis = Int(min(max(timeoutSeconds, 0.001), 86_400) * 1000)
        let code: CURLcode = body.withUnsafeBytes { raw in
            errorBuffer.withUnsafeMutableBufferPointer { err in
                _ = vigie_curl_set_string(handle, CURLOPT_URL, url)
                _ = vigie_curl_set_long(handle, CURLOPT_POST, 1)
                _ = vigie_curl_set_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
                _ = vigie_curl_set_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(raw.count))
                _ = vigie_curl_set_slist(handle, CURLOPT_HTTPHEADER, list)
                if pins != nil { _ = vigie_curl_set_slist(handle, CURLOPT_RESOLVE, pins) }
                _ = vigie_curl_set_long(handle, CURLOPT_TIMEOUT_MS, millis)
                _ = vigie_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(millis, 5000))
                _ = vigie_curl_set_long(handle, CURLOPT_NOSIGNAL, 1)
                _ = vigie_curl_set_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
                _ = vigie_curl_set_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
                // The allow-list checked the address: no redirect or proxy may lead elsewhere.
                _ = vigie_curl_set_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
                _ = vigie_curl_set_long(handle, CURLOPT_FOLLOWLOCATION, 0)
                _ = vigie_curl_set_string(handle, CURLOPT_PROXY, "")
                _ = vigie_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, err.baseAddress)
                _ = vigie_curl_set_write_function(handle) { _, size, count, _ in size * count }
                return curl_easy_perform(handle)
            }
        }
        if code != CURLE_OK {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return Result(status: 0, error: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail)
        }
        var status = 0
        _ = vigie_curl_get_response_code(handle, &status)
        return Result(status: status, error: nil)
    }
}
