/// Outcome of parsing one DNS message: `.ok` or the first anomaly found. Never thrown.
public enum DNSParseStatus: UInt8, Sendable, Hashable, CaseIterable {
    /// Header and (when QDCOUNT > 0) the first question were read.
    case ok
    /// Fewer than 12 bytes: no header.
    case tooShort
    /// QDCOUNT is 0: the header is valid, there is no question to read (legal, e.g. some updates).
    case noQuestion
    /// The question name or its QTYPE/QCLASS runs past the end of the message.
    case questionTruncated
    /// A label type 0x40 or 0x80 (RFC 6891 extended / reserved); only plain labels and pointers
    /// are valid in names.
    case badLabelType
    /// A compression pointer targets the header, itself, a later byte or the end of the message.
    /// Pointers must go strictly backwards (see docs/app-protocols.md), which also rules out loops.
    case badPointer
    /// More than ``DNSMessageParser/maxPointerJumps`` pointers in one name.
    case tooManyPointers
    /// The name exceeds 255 bytes in wire form (RFC 1035 §3.1).
    case nameTooLong
    /// The caller's name buffer is smaller than the decoded name (give it ``DNSMessageParser/nameBufferSize``).
    case nameBufferTooSmall
    /// DNS over TCP: fewer than 2 bytes, so not even the length prefix is present.
    case tcpLengthIncomplete
    /// DNS over TCP: the length prefix is larger than the bytes in the segment. The part present was
    /// parsed (header and question are filled when they fit); the rest is in later segments.
    case tcpMessageIncomplete

    /// Whether the header fields of the summary can be trusted.
    @inlinable
    public var hasHeader: Bool { self != .tooShort && self != .tcpLengthIncomplete }
}
