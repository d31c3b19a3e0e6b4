/// The fixed 12-byte DNS message header (RFC 1035 §4.1.1), decoded.
public struct DNSHeader: Sendable, Hashable {
    /// Transaction id, chosen by the client and echoed by the server.
    public var id: UInt16 = 0
    /// The raw 16-bit flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode).
    public var flags: UInt16 = 0
    /// Number of entries in the question section (QDCOUNT).
    public var questionCount: UInt16 = 0
    /// Number of resource records in the answer section (ANCOUNT).
    public var answerCount: UInt16 = 0
    /// Number of resource records in the authority section (NSCOUNT).
    public var authorityCount: UInt16 = 0
    /// Number of resource records in the additional section (ARCOUNT).
    public var additionalCount: UInt16 = 0

    /// An all-zero header.
    public init() {}

    /// QR: true for a response, false for a query.
    @inlinable public var isResponse: Bool { flags & 0x8000 != 0 }
    /// Opcode (0 query, 1 inverse query, 2 status, 4 notify, 5 update).
    @inlinable public var opcode: UInt8 { UInt8(truncatingIfNeeded: flags >> 11) & 0x0F }
    /// AA: the responding server is authoritative.
    @inlinable public var isAuthoritative: Bool { flags & 0x0400 != 0 }
    /// TC: the message was truncated (the client should retry over TCP).
    @inlinable public var isTruncated: Bool { flags & 0x0200 != 0 }
    /// RD: recursion desired.
    @inlinable public var recursionDesired: Bool { flags & 0x0100 != 0 }
    /// RA: recursion available.
    @inlinable public var recursionAvailable: Bool { flags & 0x0080 != 0 }
    /// The 4-bit header rcode (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED...). The EDNS extended
    /// rcode bits in an OPT record are not read.
    @inlinable public var rcode: UInt8 { UInt8(truncatingIfNeeded: flags) & 0x0F }
}
