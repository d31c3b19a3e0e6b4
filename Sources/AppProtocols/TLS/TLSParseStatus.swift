/// Outcome of ``TLSRecordScanner/scan(_:into:)``: `.ok` or the first anomaly. Never thrown.
public enum TLSParseStatus: UInt8, Sendable, Hashable, CaseIterable {
    /// Every record in the payload was complete and well formed.
    case ok
    /// Empty payload.
    case empty
    /// The payload ends inside a record header, a record body, or a hello message (or a hello is
    /// fragmented over several records). Everything read before the cut is set; a field that was
    /// cut (for example the SNI) is left empty rather than guessed.
    case incomplete
    /// The first record header is not TLS (unknown content type, version outside SSL 3.0...TLS 1.3,
    /// or oversized length): another protocol, or a segment that does not start at a record boundary.
    case notTLS
    /// A later record header is not plausible (the stream lost record alignment). Earlier records
    /// were read.
    case badRecord
    /// An SSLv2-compatible ClientHello (RFC 5246 Appendix E.2): recognised, not parsed.
    case sslv2Unsupported
    /// A ClientHello/ServerHello whose inner lengths contradict their container: session id,
    /// cipher suites, extensions, server_name list or name running past the declared end.
    case malformedHandshake
}
