/// Merges whole classic pcap captures held in memory into one, ordered by packet time (the
/// server's drill-down and search: one pcap from the answers of several agents).
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

    /// Why captures cannot be merged.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// Input `index` is not a classic pcap.
        case unreadable(index: Int, PcapFormatError)
        /// The inputs' link types, in input order (one pcap holds one link type).
        case linkTypes([UInt32])

        public var description: String {
            switch self {
            case .unreadable(let i, let e): "input \(i): \(e)"
            case .linkTypes(let types): "captures of different link types (\(types.map(String.init).joined(separator: ", "))) cannot share one pcap"
            }
        }
    }

    /// Packets and bytes (original lengths) of one capture, and its link type.
    public struct Summary: Sendable, Equatable {
        public var linkType: UInt32
        public var packets: Int
        /// Sum of the packets' original (wire) lengths, tshark's `frame.len`.
        public var bytes: Int
    }

    /// The merge order of several captures, computed once; the output is written from it in pieces
    /// (``write(_:into:)``), so a caller can size it (``size(packets:)``), cut it and stream it
    /// without a second copy of every input.
    public struct Plan: Sendable {
        let inputs: [[UInt8]]
        let records: [[Record]]
        /// Merge order: (input, record), by time then input then record.
        let order: [(input: Int32, record: Int32)]
        /// The output's file header (nanosecond, little-endian).
        public let header: PcapFileHeader

        struct Record: Sendable {
            var nanos: Int64
            var data: Int
            var captured: Int
            var original: UInt32
        }

        /// Packets in the merged output.
        public var packets: Int { order.count }
        /// Packets of each input.
        public var packetsPerInput: [Int] { records.map(\.count) }

        /// Bytes of the output holding its first `n` packets (the file header included).
        public func size(packets n: Int) -> Int {
            var total = PcapFileHeader.size
            for entry in order.prefix(max(0, n)) { total += PcapRecordHeader.size + records[Int(entry.input)][Int(entry.record)].captured }
            return total
        }

        /// How many of the first packets fit in `maxBytes` of output (file header included), at most `maxPackets`.
        public func packetsFitting(maxBytes: Int, maxPackets: Int) -> Int {
            var total = PcapFileHeader.size, n = 0
            for entry in order.prefix(max(0, maxPackets)) {
                let next = total + PcapRecordHeader.size + records[Int(entry.input)][Int(entry.record)].captured
                if next > maxBytes { break }
                total = next
                n += 1
            }
            return n
        }

        /// Appends the records of merged packets `range` (no file header: see ``header``) to `out`.
        public func write(_ range: Range<Int>, into out: inout [UInt8]) {
            var raw = [UInt8](repeating: 0, count: PcapRecordHeader.size)
            for entry in order[range.clamped(to: order.indices)] {
                let input = Int(entry.input)
                let r = records[input][Int(entry.record)]
                let seconds = r.nanos >= 0 ? r.nanos / 1_000_000_000 : 0
                let header = PcapRecordHeader(seconds: UInt32(truncatingIfNeeded: seconds),
                                              fraction: UInt32(truncatingIfNeeded: r.nanos - seconds * 1_000_000_000),
                                              capturedLength: UInt32(truncatingIfNeeded: r.captured), originalLength: r.original)
                raw.withUnsafeMutableBytes { header.store(to: $0.baseAddress!) }  // 16 bytes, never empty
                out += raw
                out += inputs[input][r.data..<(r.data + r.captured)]
            }
        }
    }

    /// The merge plan of `captures` (empty inputs, no bytes, are skipped: they add nothing).
    public static func plan(_ captures: [[UInt8]]) throws(Failure) -> Plan {
        var inputs: [[UInt8]] = [], parsed: [Parsed] = []
        for (i, capture) in captures.enumerated() where !capture.isEmpty {
            do throws(PcapFormatError) { parsed.append(try parse(capture)) } catch { throw .unreadable(index: i, error) }
            inputs.append(capture)
        }
        guard let first = parsed.first else {
            return Plan(inputs: [], records: [], order: [], header: PcapFileHeader(resolution: .nano, snaplen: 262_144, linkType: 1))
        }
        if parsed.contains(where: { $0.header.linkType != first.header.linkType }) { throw .linkTypes(parsed.map(\.header.linkType)) }
        let snaplen = parsed.map(\.header.snaplen).max() ?? 262_144
        // Inputs are time-ordered already (agents answer in time order), but a sort keeps the
        // result right even if one is not; ties keep input then record order (stable).
        var order: [(nanos: Int64, input: Int32, record: Int32)] = []
        order.reserveCapacity(parsed.reduce(0) { $0 + $1.records.count })
        for (i, p) in parsed.enumerated() {
            for (j, r) in p.records.enumerated() { order.append((r.nanos, Int32(truncatingIfNeeded: i), Int32(truncatingIfNeeded: j))) }
        }
        order.sort { ($0.nanos, $0.input, $0.record) < ($1.nanos, $1.input, $1.record) }
        return Plan(inputs: inputs,
                    records: parsed.map { $0.records.map { Plan.Record(nanos: $0.nanos, data: $0.data, captured: $0.captured, original: $0.original) } },
                    order: order.map { ($0.input, $0.record) },
                    header: PcapFileHeader(resolution: .nano, snaplen: snaplen, linkType: first.header.linkType))
    }

    /// Merges `captures`; empty inputs (no bytes) are skipped.
    public static func merge(_ captures: [[UInt8]]) throws(PcapFormatError) -> [UInt8] {
        let plan: Plan
        do throws(Failure) { plan = try Self.plan(captures) } catch {
            switch error {
            case .unreadable(_, let e): throw e
            case .linkTypes: throw PcapFormatError(.badMagic, offset: 0, detail: error.description)
            }
        }
        var out = plan.header.encoded()
        out.reserveCapacity(plan.size(packets: plan.packets))
        plan.write(0..<plan.packets, into: &out)
        return out
    }

    /// Packets and bytes of one capture (whole records only, as ``merge(_:)`` reads them).
    public static func summary(_ capture: [UInt8]) throws(PcapFormatError) -> Summary {
        let p = try parse(capture)
        var bytes = 0
        for r in p.records { bytes &+= Int(r.original) }
        return Summary(linkType: p.header.linkType, packets: p.records.count, bytes: bytes)
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
