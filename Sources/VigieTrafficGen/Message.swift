/// How the first bytes of an application message are built (headers, handshakes).
enum PrefixKind: UInt8 {
    case none
    case httpRequest, httpResponse
    case tlsClientHello, tlsServerHello, tlsClientFinished
    case pgSSLRequest, pgSSLAccept
    case mysqlGreeting, mysqlSSLRequest
    case sshClientBanner, sshServerBanner, sshClientKexInit, sshServerKexInit
    case sshECDHInit, sshECDHReplyNewKeys, sshNewKeys
}

/// What follows the prefix.
enum BodyKind: UInt8 {
    case none
    /// HTML-like text, cycled from a 64 KiB block.
    case text
    /// Incompressible pseudo-random bytes.
    case opaque
    /// TLS application-data records (16 KiB plaintext each) with opaque ciphertext.
    case tls
    /// An nginx error page (`variant` 2 → 404, 3 → 500).
    case errorPage
}

/// HTTP status lines, indexed by `Message.variant` for responses.
enum HTTPStatus {
    static let ok: UInt8 = 0
    static let created: UInt8 = 1
    static let notFound: UInt8 = 2
    static let serverError: UInt8 = 3
}

/// HTTP response content types, indexed by `Message.contentType`.
enum HTTPContentType {
    static let html: UInt8 = 0
    static let css: UInt8 = 1
    static let binary: UInt8 = 2
    static let plain: UInt8 = 3
}

/// ALPN offered in a ClientHello, indexed by `Message.variant`.
enum ALPNChoice {
    static let web: UInt8 = 0       // h2, http/1.1
    static let postgres: UInt8 = 1  // postgresql
    static let none: UInt8 = 2
}

/// One application message sent by one side of a TCP connection: a description from which
/// any byte range can be rebuilt on demand (no per-message buffers).
struct Message {
    var prefix: PrefixKind = .none
    var body: BodyKind = .none
    /// Prefix-specific: HTTP method (0 GET, 1 POST) or status, ALPN choice, ...
    var variant: UInt8 = 0
    var contentType: UInt8 = 0
    var agent: UInt8 = 0
    var path: UInt16 = 0
    /// Server port, for a `Host:` header on non-default ports.
    var port: UInt16 = 0
    /// Host-name index (HTTP Host, TLS SNI) or server index (SSH host key).
    var name: UInt32 = 0
    /// Epoch second for the HTTP `Date:` header.
    var second: UInt32 = 0
    /// Plaintext size of a `.tls` body.
    var bodyPlain: UInt32 = 0
    /// Bytes of body on the wire.
    var bodyLength: UInt32 = 0
    var prefixLength: UInt32 = 0
    /// Seed of this message's random bytes.
    var salt: UInt64 = 0
    /// Seed of the connection's handshake randoms (shared by both directions, e.g. the
    /// TLS session id the server echoes).
    var sessionSalt: UInt64 = 0

    /// Total bytes of the message.
    var length: UInt32 { prefixLength + bodyLength }

    /// Largest TLS record plaintext.
    static let tlsRecordPlain = 16_384
    /// Per-record overhead: 5-byte header plus 17 bytes of AEAD tag and content type.
    static let tlsRecordOverhead = 22

    /// Wire size of `plain` bytes sent as TLS 1.3 application-data records.
    static func tlsWireLength(_ plain: UInt32) -> UInt32 {
        let records = (Int(plain) + tlsRecordPlain - 1) / tlsRecordPlain
        return plain + UInt32(records * tlsRecordOverhead)
    }
}
