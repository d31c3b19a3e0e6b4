/// The 5-byte TLS record header (RFC 8446 §5.1, RFC 5246 §6.2.1).
public struct TLSRecordHeader: Sendable, Hashable {
    /// Content type: 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data, 24 heartbeat.
    public var contentType: UInt8 = 0
    /// Record-layer version (0x0301 for most TLS 1.0-1.3 hellos, 0x0303 afterwards).
    public var version: UInt16 = 0
    /// Declared body length (at most 2^14 + 2048 in a valid record).
    public var length = 0

    /// An all-zero header.
    public init() {}

    /// change_cipher_spec (20)
    public static let changeCipherSpec: UInt8 = 20
    /// alert (21)
    public static let alert: UInt8 = 21
    /// handshake (22)
    public static let handshake: UInt8 = 22
    /// application_data (23)
    public static let applicationData: UInt8 = 23
    /// heartbeat (24, RFC 6520)
    public static let heartbeat: UInt8 = 24
    /// Header size.
    public static let size = 5
    /// Largest body a valid record may declare (TLSCiphertext, RFC 5246 §6.2.3).
    public static let maxLength = 16_384 + 2_048

    /// Whether the header is plausible: known content type, SSL 3.0...TLS 1.3 version, length in range.
    @inlinable
    public var isPlausible: Bool {
        contentType >= 20 && contentType <= 24 && version >= 0x0300 && version <= 0x0304
            && length <= TLSRecordHeader.maxLength
    }
}

/// A TLS alert as seen in an alert record.
public enum TLSAlertKind: UInt8, Sendable, Hashable {
    /// No alert record in the payload.
    case none
    /// A 2-byte alert record: ``TLSSummary/alertLevel`` and ``TLSSummary/alertDescription`` are valid.
    case plaintext
    /// An alert record whose length is not 2: protected by the negotiated keys (sent after
    /// ChangeCipherSpec), so its level and description cannot be read.
    case encrypted
}
