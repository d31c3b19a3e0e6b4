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
    /// TLS 1.3 application-data records with opaque ciphertext, cut so that every TCP
    /// segment of the message starts with a record header (see `TLSLayout`).
    case tls
    /// An nginx error page (`variant` 2 → 404, 3 → 500).
    case errorPage
    /// SSH binary packets after key exchange (chacha20-poly1305@openssh.com): per packet an
    /// encrypted 4-byte length, the encrypted padded payload (multiple of 8) and a 16-byte
    /// tag, 32 KiB of payload at most; all bytes opaque (see `SSHLengthMask`).
    case ssh
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
    /// Plaintext size of a `.tls` or `.ssh` body.
    var bodyPlain: UInt32 = 0
    /// Bytes of body on the wire.
    var bodyLength: UInt32 = 0
    var prefixLength: UInt32 = 0
    /// TCP payload per segment of the connection (aligns TLS records with segments).
    var segment: UInt16 = 1448
    /// Seed of this message's random bytes.
    var salt: UInt64 = 0
    /// Seed of the connection's handshake randoms (shared by both directions, e.g. the
    /// TLS session id the server echoes).
    var sessionSalt: UInt64 = 0

    /// Total bytes of the message.
    var length: UInt32 { prefixLength + bodyLength }

    /// Largest SSH packet payload and the wire size of a full packet.
    static let sshPacketPayload = 32_768
    static let sshPacketStride = sshPacketLength(payload: sshPacketPayload)

    /// Wire size of one SSH packet carrying `payload` bytes: encrypted length, then padding
    /// length byte, payload and at least 4 bytes of padding rounded up to 8, then the tag.
    static func sshPacketLength(payload: Int) -> Int {
        4 + (1 + payload + 4 + 7) / 8 * 8 + 16
    }

    /// Wire size of `plain` payload bytes sent as SSH packets.
    static func sshWireLength(_ plain: UInt32) -> UInt32 {
        let p = max(Int(plain), 1)
        let full = (p - 1) / sshPacketPayload
        return UInt32(full * sshPacketStride + sshPacketLength(payload: p - full * sshPacketPayload))
    }

}

/// Layout of a `.tls` body: one record per TCP segment (records sized to the MSS, as
/// servers doing dynamic TLS record sizing send them), the first one filling what the
/// prefix leaves of the first segment. Because no record straddles a segment, a segment
/// lost before the capture point never desynchronises a dissector.
struct TLSLayout {
    /// Header (5) + AEAD tag and content type (17).
    static let overhead = 22
    let plain: Int
    /// Wire size of the first record and of the following ones.
    let first: Int
    let segment: Int

    init(_ m: Message) {
        plain = max(Int(m.bodyPlain), 1)
        segment = Int(m.segment)
        first = segment - Int(m.prefixLength) % segment
    }

    /// Plaintext carried by record `i`.
    func plain(record i: Int) -> Int {
        let firstPlain = min(plain, first - Self.overhead)
        if i == 0 { return firstPlain }
        return min(plain - firstPlain - (i - 1) * (segment - Self.overhead), segment - Self.overhead)
    }

    /// Record holding body byte `offset`, and where that record starts in the body.
    func record(at offset: Int) -> (index: Int, start: Int) {
        if offset < first { return (0, 0) }
        let i = 1 + (offset - first) / segment
        return (i, first + (i - 1) * segment)
    }

    /// Bytes of the whole body.
    var wireLength: Int {
        let firstPlain = min(plain, first - Self.overhead)
        let rest = plain - firstPlain
        let records = 1 + (rest + segment - Self.overhead - 1) / (segment - Self.overhead)
        return plain + records * Self.overhead
    }
}
