/// What ``DNSMessageParser`` extracts from one DNS message; filled in place so one value can be
/// reused for every packet.
///
/// The header is valid whenever the status is not ``DNSParseStatus/tooShort`` (or, for TCP,
/// ``DNSParseStatus/tcpLengthIncomplete``); the question fields are valid only when
/// ``hasQuestion`` is true.
public struct DNSSummary: Sendable, Hashable {
    /// The decoded header.
    public var header = DNSHeader()
    /// Whether the first question was read completely (name, QTYPE and QCLASS).
    public var hasQuestion = false
    /// The first question's name in the caller's name buffer: lowercased, dotted, no trailing dot;
    /// empty for the root name. Bytes inside labels are copied as they are (a label may contain
    /// '.' or non-printable bytes; they are not escaped).
    public var questionName = ByteSpan.empty
    /// The first question's QTYPE (1 A, 28 AAAA, 5 CNAME, 12 PTR, 15 MX, 16 TXT, 33 SRV, 65 HTTPS...).
    public var questionType: UInt16 = 0
    /// The first question's QCLASS with the mDNS unicast-response bit kept (1 IN).
    public var questionClass: UInt16 = 0
    /// Length of the DNS message that was parsed: the UDP payload length, or for TCP the value of
    /// the 2-byte length prefix (which may exceed the bytes present in the segment).
    public var messageLength = 0
    /// Number of segment bytes that the message occupies including its TCP length prefix: the
    /// offset of the next message in the segment. 0 for UDP.
    public var tcpFrameLength = 0

    /// An empty summary.
    public init() {}

    /// Shorthand for `header.answerCount`.
    @inlinable public var answerCount: UInt16 { header.answerCount }

    /// Clears every field (the parser calls this first).
    @inlinable
    public mutating func reset() { self = DNSSummary() }
}
