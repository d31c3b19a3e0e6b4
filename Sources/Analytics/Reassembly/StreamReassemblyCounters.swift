/// What the TCP stream reassembly did and gave up, since the analyzer started.
public struct StreamReassemblyCounters: Sendable, Hashable {
    /// Segments that arrived ahead of a hole and were held until it was filled.
    public var segmentsHeld: UInt64 = 0
    /// Holes given up (the bytes never arrived, or a cap forced it); the parser resynchronised at
    /// the next message start.
    public var holesSkipped: UInt64 = 0
    /// Bytes in those holes.
    public var holeBytes: UInt64 = 0
    /// Holes given up early because a cap (per flow, global, or segments per direction) was hit.
    public var capHoles: UInt64 = 0
    /// Holes inside a body the parser was skipping anyway (no loss for the analysis).
    public var holesInsideBodies: UInt64 = 0
    /// Overlapping copies of held bytes that differed; the first copy was kept.
    public var overlapConflicts: UInt64 = 0
    /// Message starts longer than ``StreamReassemblyConfig/maxMessageStartBytes``, parsed as far as
    /// they went.
    public var messageStartsTruncated: UInt64 = 0
    /// Segments (or rests of segments) dropped because no message started where one was due; the
    /// parser waited for the next segment start.
    public var desynchronisations: UInt64 = 0
    /// Bytes held now, and the most held at once.
    public var bytesHeld: Int = 0
    public var peakBytesHeld: Int = 0

    public init() {}
}
