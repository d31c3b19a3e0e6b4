/// What ``TLSRecordScanner`` extracts from the TLS records in one payload; filled in place.
///
/// ``serverName`` is a span of the payload (no copy).
public struct TLSSummary: Sendable, Hashable {
    /// Number of record headers read (complete or not).
    public var recordCount = 0
    /// The first record's header (valid when ``recordCount`` > 0).
    public var firstRecord = TLSRecordHeader()
    /// Offset just past the last complete record: where the next record starts in the stream.
    public var completeLength = 0
    /// Whether a ChangeCipherSpec record was seen.
    public var sawChangeCipherSpec = false
    /// Whether an application_data record was seen.
    public var sawApplicationData = false

    /// The first alert record, if any.
    public var alert: TLSAlertKind = .none
    /// Alert level (1 warning, 2 fatal) of a plaintext alert.
    public var alertLevel: UInt8 = 0
    /// Alert description (e.g. 40 handshake_failure, 112 unrecognized_name) of a plaintext alert.
    public var alertDescription: UInt8 = 0

    /// Whether a ClientHello was found (its fields below are set as far as they were present).
    public var hasClientHello = false
    /// ClientHello.legacy_version (0x0303 for TLS 1.2 and 1.3 clients).
    public var clientLegacyVersion: UInt16 = 0
    /// Highest non-GREASE version in the supported_versions extension; 0 when absent.
    public var clientMaxSupportedVersion: UInt16 = 0
    /// The first host_name in the server_name extension, as sent (not lowercased); empty if none.
    public var serverName = ByteSpan.empty

    /// Whether a ServerHello was found.
    public var hasServerHello = false
    /// ServerHello.legacy_version.
    public var serverLegacyVersion: UInt16 = 0
    /// The negotiated version: supported_versions (TLS 1.3) when present, else the legacy version.
    public var serverSelectedVersion: UInt16 = 0

    /// An empty summary.
    public init() {}

    /// The highest version the client offers: ``clientMaxSupportedVersion`` if present, else the
    /// legacy version.
    @inlinable
    public var clientOfferedVersion: UInt16 {
        clientMaxSupportedVersion != 0 ? clientMaxSupportedVersion : clientLegacyVersion
    }

    /// Clears every field (the scanner calls this first).
    @inlinable
    public mutating func reset() { self = TLSSummary() }
}
