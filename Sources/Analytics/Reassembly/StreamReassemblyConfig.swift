/// Limits of the TCP stream reassembly that feeds the application parsers (HTTP/1.x, TLS, DNS
/// over TCP). Every byte the reassembler holds is counted against both caps; what a cap makes it
/// give up is counted in ``StreamReassemblyCounters``.
///
/// Bodies are never buffered: a parser that knows a message's length skips its body, so holes
/// inside a body cost nothing. What is buffered is (a) out-of-order segments waiting for a hole
/// before them to be filled, and (b) the start of a message (HTTP header block, TLS record, DNS
/// message) that spans segments, up to ``maxMessageStartBytes``.
public struct StreamReassemblyConfig: Sendable, Hashable {
    /// Whether segments are reassembled. When false, each segment is parsed on its own as before
    /// reassembly existed: out-of-order segments are holes and a message start must fit in one
    /// segment. Default true.
    public var enabled = true
    /// Most bytes of one message start kept while waiting for its end (an HTTP header block, a TLS
    /// record, a DNS message): a longer one is parsed as far as it goes. Default 16 KiB (a full
    /// TLS record, and more than any common HTTP header block).
    public var maxMessageStartBytes = 16 * 1024
    /// Most bytes one flow holds (both directions: out-of-order segments and message starts).
    /// Default 256 KiB.
    public var maxFlowBytes = 256 * 1024
    /// Most bytes all flows hold together. Default 64 MiB.
    public var maxTotalBytes = 64 * 1024 * 1024
    /// Most out-of-order segments held per direction. Default 64.
    public var maxSegmentsPerDirection = 64
    /// A hole still open this long after the first segment beyond it arrived is given up (the
    /// capture lost it: no retransmission is coming). Packet time. Default 2 s.
    public var holeTimeoutNanos: Int64 = 2_000_000_000

    /// The defaults above.
    public init() {}

    /// The limits actually applied: with reassembly off nothing is held.
    var effective: StreamReassemblyConfig {
        guard !enabled else { return self }
        var c = self
        c.maxMessageStartBytes = 0
        c.maxFlowBytes = 0
        c.maxSegmentsPerDirection = 0
        return c
    }
}
