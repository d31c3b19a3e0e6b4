import Dispatch
import Indexer
import Logging
import PcapFormat
import Synchronization
import SystemIO

/// Indexes every stored packet into the index of the segment it went to (`index/N.idx`).
///
/// Owned by the capture thread with the store: each packet is added to the builder as it is stored
/// (~20-40 ns: the packet is still in cache from its copy into the write buffer). At segment close
/// the collected entries are sealed (O(1)), then sorted and staged on `sortQueue` while the
/// finisher fsyncs the pcap file, and published once the pcap file is. A segment published without
/// its index (crash, recovery) is still queryable: the query engine scans it, and `vigie-agent
/// reindex` builds the missing index.
///
/// (Indexing the written buffers on a thread of its own instead was measured slower: waking that
/// thread per 1 MiB buffer cost ~140 us each on the VM, and in batches of 8 MiB the records had left
/// the cache, ~120 ns a packet.)
public final class StoreIndexer {
    public let fields: IndexFieldSet
    private let layout: StoreLayout
    private let builder: SegmentIndexBuilder
    private let logger: Logger
    /// Sorts and stages sealed indexes (serial: one at a time, in segment order).
    private let sortQueue = DispatchQueue(label: "vigie.index-sort")
    /// Indexes written, and the time their sort, serialisation and fsync took (for `/metrics`).
    private let builds = IndexBuildCounters()

    /// Indexes staged so far, those that failed, and the seconds spent building them (off the
    /// capture thread: the adds on it are part of storing each packet).
    public var buildCounters: (written: UInt64, failed: UInt64, seconds: Double) { builds.snapshot }

    /// - Parameter segmentBytes: the store's segment size. The builder reserves room for as many
    ///   packets as a segment of 64-byte records holds: address space only (untouched pages cost
    ///   nothing), but its buffers then never regrow and copy mid-segment.
    public init(layout: StoreLayout, fields: IndexFieldSet, segmentBytes: UInt64 = 256 << 20, logger: Logger) throws(StorageError) {
        self.layout = layout
        self.fields = fields
        self.logger = logger
        let expected = Int(min(segmentBytes / 64, 1 << 26))
        self.builder = SegmentIndexBuilder(fields: fields, linkType: 1, expectedPackets: expected)
        try StorageError.io { () throws(SystemError) in try FileSystem.makeDirectory(layout.indexDirectory) }
        // Map the first two segments' row and record buffers now, on the sort queue (idle until the
        // first segment closes), rather than page by page on the capture thread as packets arrive: a
        // page fault costs 2-12 us on a VM whose host reclaims freed memory. Enough for packets of
        // 512 bytes on average; past that the capture thread faults the rest in as before.
        builder.prepareSpare()
        let regions = builder.appendRegions(packets: Int(min(segmentBytes / 512, 1 << 24)))
        sortQueue.async { for region in regions { region.populate() } }
    }

    func segmentOpened(format: SourceFormat) {
        builder.reset(linkType: format.linkType, nanosecond: format.nanosecond)
    }

    @inline(__always)
    func packetStored(recordOffset: UInt64, timestampNanos: Int64, bytes: UnsafeRawBufferPointer) {
        builder.add(recordOffset: recordOffset, timestampNanos: timestampNanos, bytes: bytes)
    }

    /// Seals the entries of the segment just closed; the returned job, run once the segment is
    /// published (true) or given up (false), publishes or removes its index.
    ///
    /// The sort queue sorts, writes and fsyncs the index to a hidden file as soon as the segment
    /// closes, in parallel with the segment's own fsync on the finisher thread; the finisher then
    /// only renames it. (Writing it after the segment's fsync, on the finisher, put an index fsync
    /// per segment on the path that ends an ingest.) An index is never visible before its segment.
    func segmentClosed(id: UInt64) -> @Sendable (Bool) -> Void {
        let sealed = builder.sealed()
        let path = layout.indexPath(id)
        let logger = logger
        let failed: @Sendable (IndexError) -> Void = { error in
            logger.warning("index not written; queries will scan this segment", metadata: ["segment": "\(id)", "error": "\(error)"])
        }
        let builds = builds
        sortQueue.async {
            let started = WallClock.monotonicNanos()
            var ok = true
            do throws(IndexError) { try sealed.stage(to: path) } catch { ok = false; failed(error) }
            let seconds = Double(WallClock.monotonicNanos() - started) / 1e9
            builds.add(ok: ok, seconds: seconds)
        }
        return { [sortQueue] published in
            // Queued behind the staging: waits for it if the segment's fsync was quicker.
            sortQueue.sync {
                guard published else { return sealed.discardStaged() }
                do throws(IndexError) { try sealed.publishStaged() } catch { failed(error) }
            }
        }
    }

    /// A live view of the open segment's index, for in-process queries.
    public func snapshot() -> SegmentIndexSnapshot { builder.snapshot() }
}

/// The index builds' counters, shared by the sort queue (writer) and the status report (reader).
private final class IndexBuildCounters: Sendable {
    private let value = Mutex((written: UInt64(0), failed: UInt64(0), seconds: 0.0))

    func add(ok: Bool, seconds: Double) {
        value.withLock { b in
            if ok { b.written &+= 1 } else { b.failed &+= 1 }
            b.seconds += seconds
        }
    }

    var snapshot: (written: UInt64, failed: UInt64, seconds: Double) { value.withLock { $0 } }
}
