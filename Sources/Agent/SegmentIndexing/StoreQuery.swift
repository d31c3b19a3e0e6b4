import Indexer
import SystemIO

extension SegmentCatalog {
    /// The segments a query over `[from, to]` must read, as the query engine wants them: finished
    /// segments with their index file when there is one, and the segment being written (scanned,
    /// up to its last flushed record).
    public func queryRefs(from: Int64?, to: Int64?) -> [SegmentRef] {
        segments(from: from, to: to).map { s in
            if s.state == .writing {
                return SegmentRef(id: s.id, pcapPath: layout.partialPath(s.id), linkType: s.linkType,
                                  nanosecond: s.nanosecond, firstNanos: nil, lastNanos: nil)
            }
            let index = layout.indexPath(s.id)
            return SegmentRef(id: s.id, pcapPath: layout.segmentsDirectory + "/" + s.file,
                              indexPath: FileSystem.exists(index) ? index : nil, linkType: s.linkType,
                              nanosecond: s.nanosecond, firstNanos: s.firstNanos, lastNanos: s.lastNanos)
        }
    }
}
