import PcapFormat

/// A segment as the query engine sees it: plain values from the store's catalog, so the Indexer
/// does not depend on the store.
public struct SegmentRef: Sendable {
    /// Segment id (orders segments whose packets have equal times).
    public var id: UInt64
    /// The pcap file (finished `NNN.pcap` or the hidden `.NNN.pcap.partial` being written).
    public var pcapPath: String
    /// The index file, if the segment has one (`STORE/index/NNN.idx`); a missing or unusable
    /// index makes the engine scan the pcap instead.
    public var indexPath: String?
    /// For the segment being written: the builder's latest ``SegmentIndexBuilder/snapshot()``.
    /// Takes precedence over `indexPath`.
    public var snapshot: SegmentIndexSnapshot?
    /// The segment's `LINKTYPE_*`.
    public var linkType: UInt32
    /// Whether its timestamps are nanosecond (decides the resolution of pcap output).
    public var nanosecond: Bool
    /// Earliest and latest packet time (catalog); nil when unknown, then the segment is always read.
    /// For the segment being written, pass the writer's current values or nil: a stale
    /// `lastNanos` would make the engine skip newer packets of a query starting after it.
    public var firstNanos: Int64?
    /// See `firstNanos`.
    public var lastNanos: Int64?

    /// Creates a segment reference.
    public init(id: UInt64, pcapPath: String, indexPath: String? = nil, snapshot: SegmentIndexSnapshot? = nil,
                linkType: UInt32, nanosecond: Bool = false, firstNanos: Int64? = nil, lastNanos: Int64? = nil) {
        self.id = id
        self.pcapPath = pcapPath
        self.indexPath = indexPath
        self.snapshot = snapshot
        self.linkType = linkType
        self.nanosecond = nanosecond
        self.firstNanos = firstNanos
        self.lastNanos = lastNanos
    }
}

/// What to extract.
public struct QueryRequest: Sendable {
    /// The parsed query (its `after`/`before` bounds are combined with `from`/`to`).
    public var query: Query
    /// Earliest packet time (inclusive, ns since the epoch).
    public var from: Int64?
    /// Packets strictly before this time (ns since the epoch).
    public var to: Int64?
    /// Stop after this many packets.
    public var limit: Int?
    /// Only read segments of this link type (pcap output needs one link type).
    public var linkType: UInt32?
    /// Whether a segment whose index is missing, unusable or lacks a needed field may be scanned
    /// packet by packet (correct, but slow on big segments). When false such segments are skipped
    /// and listed in ``QueryStats/problems``.
    public var allowScan: Bool
    /// How much of each index file to checksum when opening it. A one-shot process (the CLI) that
    /// opens many indexes once may choose `.headerOnly`: every section is still bounds-checked, so a
    /// damaged section can give a wrong answer but never a crash; a long-running process keeps the
    /// default and pays the full check once per file.
    public var checksums: SegmentIndex.ChecksumPolicy = .oncePerFile

    /// Creates a request.
    public init(query: Query, from: Int64? = nil, to: Int64? = nil, limit: Int? = nil, linkType: UInt32? = nil,
                allowScan: Bool = true) {
        self.query = query
        self.from = from
        self.to = to
        self.limit = limit
        self.linkType = linkType
        self.allowScan = allowScan
    }

    /// The effective time range `[lower, upper)` (query bounds intersected with the request's).
    var timeRange: (lower: Int64, upper: Int64) {
        let lower = max(from ?? .min, query.after ?? .min)
        let upper = min(to ?? .max, query.before ?? .max)
        return (lower, upper)
    }
}

/// One matching packet, handed to the sink. The buffers are valid only during the sink call.
public struct MatchedPacket {
    /// The segment the packet comes from.
    public var segmentID: UInt64
    /// Offset of the packet's record header in its segment file.
    public var recordOffset: UInt64
    /// Time and lengths, exactly as stored (`seconds`/`fraction` raw, in the segment's resolution).
    public var header: PacketHeader
    /// The segment's `LINKTYPE_*`.
    public var linkType: UInt32
    /// Whether `header.fraction` is in nanoseconds.
    public var nanosecond: Bool
    /// The 16-byte pcap record header (in the segment file's byte order) followed by the data.
    public var record: UnsafeRawBufferPointer
    /// The captured bytes.
    public var data: UnsafeRawBufferPointer
}

/// What a query did.
public struct QueryStats: Sendable, Hashable {
    /// Packets matched (delivered to the sink, or counted).
    public var packets: UInt64 = 0
    /// Captured bytes of those packets (record data, without the record headers).
    public var bytes: UInt64 = 0
    /// Segments whose time range overlapped the query.
    public var segmentsInRange = 0
    /// Segments answered from their index (file or snapshot).
    public var segmentsIndexed = 0
    /// Segments scanned packet by packet (no usable index).
    public var segmentsScanned = 0
    /// Segments that could not be read (deleted meanwhile, unreadable) or that needed a scan when
    /// scanning was not allowed.
    public var segmentsSkipped = 0
    /// The limit stopped the query.
    public var limitReached = false
    /// The sink asked to stop.
    public var stoppedBySink = false
    /// One line per segment-level problem (unusable index, vanished file...), for logs.
    public var problems: [String] = []

    /// Empty statistics.
    public init() {}
}

/// An error that stops a whole extraction (segment-level problems do not: see ``QueryStats``).
public struct ExtractionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        /// pcap output needs one link type, and the segments in range have several.
        case mixedLinkTypes = "segments in range have different link types"
        /// Writing the output failed (client gone, disk full...).
        case writeFailed = "cannot write the output"
    }

    /// The kind of failure.
    public var code: Code
    /// What exactly happened.
    public var detail: String

    /// Creates an error.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}
