import PcapFormat

extension SegmentIndexBuilder {
    /// Reads the pcap segment at `segmentPath` and indexes every whole record in it (a cut last
    /// record, as in a segment still being written, ends the scan without error). Use it to
    /// reindex existing segments, then ``write(to:)``.
    public static func build(segmentPath: String, fields: IndexFieldSet = .default) throws(IndexError) -> SegmentIndexBuilder {
        let file: SegmentFile
        do {
            file = try SegmentFile(path: segmentPath, readSize: 1 << 20)
        } catch {
            switch error {
            case .missing: throw IndexError(.io, path: segmentPath, detail: "no such file")
            case .unreadable(let why): throw IndexError(.badSegment, path: segmentPath, detail: why)
            }
        }
        let builder = SegmentIndexBuilder(fields: fields, linkType: file.header.linkType, nanosecond: file.nanosecond,
                                          byteSwapped: file.header.byteSwapped)
        var offset = UInt64(PcapFileHeader.size)
        while true {
            guard case .record(let r) = file.record(at: offset) else { break }
            builder.add(recordOffset: offset, timestampNanos: r.timestampNanos, bytes: r.data)
            offset += UInt64(r.raw.count)
        }
        return builder
    }

    /// Rebuilds and publishes the index of one segment: `build(segmentPath:fields:)` then
    /// `write(to: indexPath)`. Returns the number of packets indexed.
    @discardableResult
    public static func reindex(segmentPath: String, indexPath: String, fields: IndexFieldSet = .default) throws(IndexError) -> Int {
        let builder = try build(segmentPath: segmentPath, fields: fields)
        try builder.write(to: indexPath)
        return builder.packetCount
    }
}
