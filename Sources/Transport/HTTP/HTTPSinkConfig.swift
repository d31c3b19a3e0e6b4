/// Settings of the HTTP sink: NDJSON batches POSTed to the correlation server.
public struct HTTPSinkConfig: Sendable, Hashable {
    /// Sink name (spool cursor name). Default `http`.
    public var name = "http"
    /// Endpoint, e.g. `https://vigie-server:8443/api/v1/ingest`.
    public var url: String
    /// Sent as `Authorization: Bearer TOKEN` when set.
    public var bearerToken: String?
    /// The file `bearerToken` came from, if any: re-read before each retry after a 401/403, so a
    /// token rotated by rewriting the file is picked up without a restart.
    public var bearerTokenFile: String?
    /// CA bundle to verify the server with (default: the system's). Verification is never off.
    public var caFile: String?
    /// Identifies this agent in `Idempotency-Key` (`AGENT-SPOOLFIRST-SPOOLLAST`).
    public var agentID = "agent"
    /// A batch is sent when it reaches this many bytes (uncompressed). Default 1 MiB.
    public var batchMaxBytes = 1 << 20
    /// ... or this many records. Default 5000.
    public var batchMaxRecords = 5000
    /// ... or when its oldest record waited this long. Default 1 s.
    public var batchMaxAge = 1.0
    /// Whole-request timeout. Default 15 s (a hanging server counts as a failed attempt).
    public var timeoutSeconds = 15.0
    public var connectTimeoutSeconds = 5.0
    /// Retry backoff: exponential from `backoffInitial` to `backoffMax`, with full jitter.
    public var backoffInitial = 0.5
    public var backoffMax = 30.0
    /// Where batches the server declared malformed (400, 413, 415, 422) are appended.
    public var deadLetterPath: String?
    /// gzip the body (`Content-Encoding: gzip`). Default true.
    public var gzip = true

    public init(url: String) { self.url = url }
}
