/// Merges whole classic pcap captures held in memory into one, ordered by packet time (the
/// server's drill-down: one pcap from the answers of several agents).
///
/// The output is a little-endian nanosecond pcap with the inputs' common link type and the largest
/// snaplen. Inputs must share a link type (a pcap file holds one); a damaged input ends at its last
/// whole record, as a reader would. Equal timestamps keep the inputs' order (stable).
public enum PcapMerge {
    /// One input's parsed records: (time, offset of the record data, captured length, original length).
    struct Parsed {
        var header: PcapFileHeader
        var records: [(nanos: Int64, data: Int, captured: Int, original: UInt32)] = []
    }

    /// Merges `captures`; empty inputs (no bytes) are skipped.
    public static func merge(_ captures: [[UInt8]]) throws(PcapFormatError) -> [UInt8] {
        let inputs = captures.filter { !$0.isEmpty }
        var parsed: [Parsed] = []
        for capture in inputs { parsed.append(try parse(capture)) }
        guard let first = parsed.first else {
            return PcapFileHeader(resolution: .nano, snaplen: 262_144, linkType: 1).encoded()
        }
        for p in parsed where p.header.linkType != first.header.linkType {
            throw PcapFormatError(.badMagic, offset: 0, detail: "captures of different link types (\(first.header.linkType) and \(p.header.linkType)) cannot share one pcap")
        }
        let snaplen = parsed.map(\.header.snaplen).max() ?? 262_144
        var out = PcapFileHeader(resolution: .nano, snaplen: snaplen, linkType: first.header.linkType).encoded()
        // K-way merge by index: inputs are time-ordered already (agents answer in time order), but
        // a sort keeps the result right even if one is not.
        var order: [(nanos: Int64, input: Int, record: Int)] = []
        for (i, p) in parsed.enumerated() {
            for (j, r) in p.records.enumerated() { order.append((r.nanos, i, j)) }
        }
        order.sort { ($0.nanos, $0.input, $0.record) < ($1.nanos, $1.input, $1.record) }
        out.reserveCapacity(out.count + inputs.reduce(0) { $0 + $1.count })
        var raw = [UInt8](repeating: 0, count: PcapRecordHeader.size)
        for entry in order {
            let r = parsed[entry.input].records[entry.record]
            let seconds = r.nanos >= 0 ? r.nanos / 1_000_000_000 : 0
            let header = PcapRecordHeader(seconds: UInt32(truncatingIfNeeded: seconds),
                                          fraction: UInt32(truncatingIfNeeded: r.nanos - seconds * 1_000_000_000),
                                          capturedLength: UInt32(r.captured), originalLength: r.original)
            raw.withUnsafeMutableBytes { header.store(to: $0.baseAddress!) }
            out += raw
            out += inputs[entry.input][r.data..<(r.data + r.captured)]
        }
        return out
    }

    static func parse(_ bytes: [UInt8]) throws(PcapFormatError) -> Parsed {
        // withUnsafeBytes rethrows untyped errors: carry the typed one out by hand.
        let result = bytes.withUnsafeBytes { raw -> Result<PcapFileHeader, PcapFormatError> in
            do throws(PcapFormatError) { return .success(try PcapFileHeader.parse(raw)) } catch { return .failure(error) }
        }
        let header = try result.get()
        var parsed = Parsed(header: header)
        var offset = PcapFileHeader.size
        bytes.withUnsafeBytes { raw in
            while offset + PcapRecordHeader.size <= raw.count {
                let h = PcapRecordHeader.load(from: raw, at: offset, byteSwapped: header.byteSwapped)
                let captured = Int(h.capturedLength)
                guard captured <= 262_144, offset + PcapRecordHeader.size + captured <= raw.count else { return }
                parsed.records.append((h.nanoseconds(header.resolution), offset + PcapRecordHeader.size, captured, h.originalLength))
                offset += PcapRecordHeader.size + captured
            }
        }
        return parsed
    }
}
