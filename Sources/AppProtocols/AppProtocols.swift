/// DNS, HTTP/1.x and TLS parsers: zero-copy over one UDP/TCP payload, allocation-free on the hot
/// path, never trapping on hostile input (see docs/app-protocols.md).
///
/// Entry points (each fills a caller-owned result in place and returns a status enum):
/// - ``DNSMessageParser/parse(_:into:name:)`` and ``DNSMessageParser/parseTCP(_:into:name:)``
///   → ``DNSSummary`` / ``DNSParseStatus``
/// - ``HTTPMessageParser/parse(_:into:)`` → ``HTTPMessageStart`` / ``HTTPParseStatus``
/// - ``HTTPRequestHost/find(in:form:)`` → the Host of a request, read leniently (the index's
///   `http.host`, agreeing with tshark; see there)
/// - ``TLSRecordScanner/scan(_:into:)`` → ``TLSSummary`` / ``TLSParseStatus``
///
/// ```swift
/// // per packet, with `payload` the bytes after the transport header:
/// if udpPort == 53 { DNSMessageParser.parse(payload, into: &dns, name: nameBuffer) }
/// else if HTTPMessageParser.parse(payload, into: &http) == .complete { ... }
/// ```
/// Text results are ``ByteSpan``s; ``ByteSpan/string(in:)`` turns one into a `String` off the hot path.
public enum AppProtocols {}
