import Dispatch
import Indexer
import Logging
import PcapFormat

/// Indexes every stored packet into the index of the segment it went to (`index/N.idx`).
///
/// Owned by the capture thread with the store. At segment close the collected entries are sealed
/// (O(1)) and sorted and written by the finisher thread after the pcap file is published, so ingest
/// does not wait for the sort. A segment published without its index (crash, recovery) is still
/// queryable: the query engine scans it, and `vigie-agent reindex` builds the missing index.
public final class StoreIndexer {
    public let fields: IndexFieldSet
    private let layout: StoreLayout
    private let builder: SegmentIndexBuilder
    private let logger: Logger
    /// Sorts sealed indexes as soon as their segment closes, in parallel with the pcap file's
    /// fsync on the finisher thread (serial: one sort at a time, in segment order).
    private let sortQueue = DispatchQueue(label: "vigie.index-sort", qos: .utility)

    /// - Parameter segmentBytes: the store's segment size. The builder reserves room for as many
    ///   packets as a segment of 64-byte records holds: address space only (untouched pages cost
    ///   nothing), but its buffers then never regrow and copy mid-segment.
    public init(layout: StoreLayout, fields: IndexFieldSet, segmentBytes: UInt64 = 256 << 20, logger: Logger) throws(StorageError) {
        self.layout = layout
        self.fields = fields
        self.logger = logger
        let expected = Int(min(segmentBytes / 64, 1 << 26))
        self.builder = SegmentIndexBuilder(fields: fields, linkType: 1, expectedPackets: expected)
        try FileIO.makeDirectory(layout.indexDirectory)
    }

    func segmentOpened(format: SourceFormat) {
        builder.reset(linkType: format.linkType, nanosecond: format.nanosecond)
    }

    @inline(__always)
    func packetStored(recordOffset: UInt64, timestampNanos: Int64, bytes: UnsafeRawBufferPointer) {
        builder.add(recordOffset: recordOffset, timestampNanos: timestampNanos, bytes: bytes)
    }

    /// Seals the entries of the segment just closed; the returned job writes its index file.
    func segmentClosed(id: UInt64) -> @Sendable () -> Void {
        let sealed = builder.sealed()
        let path = layout.indexPath(id)
        let logger = logger
        sortQueue.async { sealed.prepare() }
        return { [sortQueue] in
            // Queued behind the sort: waits for it if the fsync was quicker.
            do { try sortQueue.sync { try sealed.write(to: path) } } catch {
                logger.warning("index not written; queries will scan this segment", metadata: ["segment": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// A live view of the open segment's index, for in-process queries.
    public func snapshot() -> SegmentIndexSnapshot { builder.snapshot() }
}
