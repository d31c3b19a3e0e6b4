/// Lifecycle state of a segment as recorded in the catalog.
public enum SegmentState: String, Codable, Sendable, Hashable {
    /// Being written (the file is the hidden `.partial`).
    case writing
    /// Closed normally: flushed, fsynced, renamed.
    case complete
    /// Closed by crash recovery: cut at its last whole record.
    case recovered
}

/// One segment's catalog entry: the store's allocation table row.
public struct SegmentInfo: Codable, Sendable, Hashable {
    public var id: UInt64
    /// File name relative to the store's `segments/` directory.
    public var file: String
    public var state: SegmentState
    /// LINKTYPE_ value of every packet in the segment.
    public var linkType: UInt32
    public var snaplen: UInt32
    public var nanosecond: Bool
    /// Packet time of the first and last packet, nanoseconds since the epoch (nil while empty).
    public var firstNanos: Int64?
    public var lastNanos: Int64?
    public var packets: UInt64
    /// File size in bytes (pcap header and record headers included).
    public var bytes: UInt64
    /// Wall-clock time the segment was opened and closed, nanoseconds since the epoch.
    public var openedAt: Int64
    public var closedAt: Int64?

    /// True when the segment may hold packets in `[from, to]` (nanoseconds, inclusive; nil = open end).
    public func overlaps(from: Int64?, to: Int64?) -> Bool {
        guard let first = firstNanos, let last = lastNanos else { return state == .writing }
        if let from, last < from { return false }
        if let to, first > to { return false }
        return true
    }
}
