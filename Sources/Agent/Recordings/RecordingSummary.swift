import Foundation

/// A recording as `GET /api/v1/recordings` and `vigie-agent recordings` show it: its definition,
/// its state, and what its store holds (read from its catalog, so any process can answer).
public struct RecordingSummary: Codable, Sendable {
    public var id: String
    public var start: String
    public var end: String
    public var `repeat`: String
    public var filter: String?
    public var snaplen: UInt32?
    public var index_fields: [String]
    public var quota: UInt64
    public var retention: String
    public var state: RecordingState
    /// Packets, bytes (pcap files, headers included) and segments in the recording's store.
    public var packets: UInt64
    public var bytes: UInt64
    public var segments: Int

    public init(_ d: RecordingDefinition, book: RecordingBook) {
        let s = RecordingBook.stored(d)
        id = s.id; start = s.start; end = s.end; self.repeat = s.repeat; filter = s.filter; snaplen = s.snaplen
        index_fields = s.index_fields; quota = s.quota; retention = s.retention; state = s.state
        let segs = (try? SegmentCatalog(readingFrom: book.layout(d.id)))?.segments() ?? []
        packets = segs.reduce(0) { $0 &+ $1.packets }
        bytes = segs.reduce(0) { $0 &+ $1.bytes }
        segments = segs.count
    }

    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()
}
