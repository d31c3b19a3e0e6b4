/// Walks the matching records of one segment in file order, within the time range, reading each
/// record from the pcap. Owns the segment's file descriptor (closed when the cursor goes away).
final class MatchCursor {
    let segment: SegmentRef
    /// Position of the segment in the merge order (ties between equal times).
    let order: Int
    private let file: SegmentFile
    private let matches: SegmentMatches
    private let lower: Int64
    private let upper: Int64
    private var position = 0
    private var chunkIndex = 0
    private var records: RecordCursor
    /// The record the cursor stands on after a successful `advance()`.
    private(set) var current: SegmentFile.Record?

    init(segment: SegmentRef, order: Int, file: SegmentFile, matches: SegmentMatches, lower: Int64, upper: Int64) {
        self.segment = segment
        self.order = order
        self.file = file
        self.matches = matches
        self.lower = lower
        self.upper = upper
        records = RecordCursor(matches.chunks.first!.records)
    }

    var nanosecond: Bool { file.nanosecond }

    enum Step {
        case record
        case exhausted
        /// The segment could not be read further (cut, or an index that does not fit the file).
        case failed(String)
    }

    /// Moves to the next matching record in the time range.
    func advance() -> Step {
        current = nil
        let ordinals = matches.ordinals
        while position < ordinals.count {
            let ordinal = ordinals[position]
            while ordinal >= matches.chunks[chunkIndex].ordinalRange.upperBound {
                guard chunkIndex + 1 < matches.chunks.count else { return .failed("ordinal \(ordinal) beyond its index") }
                chunkIndex += 1
                records = RecordCursor(matches.chunks[chunkIndex].records)
            }
            do {
                // Skip whole record blocks outside the time range without touching the pcap.
                let blockNumber = records.blockNumber(of: ordinal)
                let block = try records.time(ofBlock: blockNumber)
                if block.maxNanos < lower || block.minNanos >= upper {
                    position += 1
                    while position < ordinals.count, ordinals[position] < matches.chunks[chunkIndex].ordinalRange.upperBound,
                          records.blockNumber(of: ordinals[position]) == blockNumber {
                        position += 1
                    }
                    continue
                }
                let offset = try records.offset(of: ordinal)
                position += 1
                switch file.record(at: offset) {
                case .end:
                    return .exhausted  // cut short, or a snapshot ahead of the writer's flush
                case .corrupt(let why):
                    return .failed(why)
                case .record(let r):
                    if r.timestampNanos < lower || r.timestampNanos >= upper { continue }
                    current = r
                    return .record
                }
            } catch {
                return .failed("\(error)")
            }
        }
        return .exhausted
    }

    /// Counts the matching records in the time range; reads the pcap only for blocks that straddle
    /// a bound. Stops at `limit`. Returns (packets, captured bytes or nil when not read).
    func count(limit: UInt64) -> (UInt64, UInt64, String?) {
        var packets: UInt64 = 0
        var bytes: UInt64 = 0
        let ordinals = matches.ordinals
        while position < ordinals.count && packets < limit {
            let ordinal = ordinals[position]
            while ordinal >= matches.chunks[chunkIndex].ordinalRange.upperBound {
                guard chunkIndex + 1 < matches.chunks.count else { return (packets, bytes, "ordinal beyond its index") }
                chunkIndex += 1
                records = RecordCursor(matches.chunks[chunkIndex].records)
            }
            do {
                let block = try records.time(ofBlock: records.blockNumber(of: ordinal))
                position += 1
                if block.maxNanos < lower || block.minNanos >= upper { continue }
                let offset = try records.offset(of: ordinal)
                if block.minNanos >= lower && block.maxNanos < upper {
                    packets += 1
                    bytes += try records.capturedLength(of: ordinal, coveredBytes: matches.chunks[chunkIndex].coveredBytes)
                    continue
                }
                switch file.record(at: offset) {
                case .end: return (packets, bytes, nil)
                case .corrupt(let why): return (packets, bytes, why)
                case .record(let r):
                    if r.timestampNanos >= lower && r.timestampNanos < upper {
                        packets += 1
                        bytes += UInt64(r.data.count)
                    }
                }
            } catch {
                return (packets, bytes, "\(error)")
            }
        }
        return (packets, bytes, nil)
    }
}

extension RecordCursor {
    /// Captured length of record `ordinal`, from the gap to the next record (no pcap read).
    mutating func capturedLength(of ordinal: UInt32, coveredBytes: UInt64) throws(IndexError) -> UInt64 {
        let start = try offset(of: ordinal)
        let next = ordinal + 1
        let end: UInt64
        if Int(next - table.base) < table.count {
            end = try offset(of: next)
            _ = try offset(of: ordinal)  // keep the cursor on the current block
        } else {
            end = coveredBytes
        }
        guard end > start, end - start >= 16 else { throw IndexError.corrupt("record \(ordinal) shorter than its header") }
        return end - start - 16
    }
}
