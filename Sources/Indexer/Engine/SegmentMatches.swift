/// The matching ordinals of one segment and the index chunks that map them to records.
struct SegmentMatches {
    var chunks: [SegmentIndex]
    var ordinals: [UInt32]
    var scanned: Bool
}

/// Finds a usable index for a segment (snapshot, index file, or an index built by scanning the
/// pcap) and evaluates the filter on it.
struct SegmentMatcher {
    let request: QueryRequest
    let flows: [Term: [UInt64]]

    /// Fields needed to answer the filter from an index.
    var required: IndexFieldSet { request.query.requiredFields }

    /// The index chunks of `segment`, or nil (with a problem noted) when none can be had.
    func indexes(of segment: SegmentRef, stats: inout QueryStats, preferScan: Bool = false) -> ([SegmentIndex], scanned: Bool)? {
        if !preferScan {
            if let snapshot = segment.snapshot {
                if snapshot.chunks.allSatisfy({ $0.fields.isSuperset(of: required) && $0.linkType == segment.linkType }) {
                    return (snapshot.chunks, false)
                }
            } else if let path = segment.indexPath {
                do {
                    let index = try SegmentIndex.open(path: path, checksums: request.checksums)
                    if index.linkType != segment.linkType {
                        stats.problems.append("segment \(segment.id): index link type \(index.linkType) != \(segment.linkType)")
                    } else if !index.fields.isSuperset(of: required) {
                        // Not a problem: the configuration did not index that field.
                    } else {
                        return ([index], false)
                    }
                } catch {
                    if error.errno != 2 { stats.problems.append("segment \(segment.id): \(error)") }  // ENOENT: never indexed
                }
            }
        }
        guard request.allowScan else {
            stats.problems.append("segment \(segment.id): no usable index and scanning is not allowed")
            return nil
        }
        do {
            let builder = try SegmentIndexBuilder.build(segmentPath: segment.pcapPath, fields: required.union(.default))
            return ([try builder.makeIndex()], true)
        } catch {
            stats.problems.append("segment \(segment.id): cannot scan: \(error)")
            return nil
        }
    }

    /// Evaluates the filter on `segment`; a corrupt index found while evaluating makes it scan.
    func matches(of segment: SegmentRef, stats: inout QueryStats) -> SegmentMatches? {
        guard let (chunks, scanned) = indexes(of: segment, stats: &stats) else { return nil }
        do {
            return SegmentMatches(chunks: chunks, ordinals: try evaluate(chunks), scanned: scanned)
        } catch {
            stats.problems.append("segment \(segment.id): \(error); scanning instead")
            guard !scanned, let (rebuilt, _) = indexes(of: segment, stats: &stats, preferScan: true),
                  let ordinals = try? evaluate(rebuilt) else { return nil }
            return SegmentMatches(chunks: rebuilt, ordinals: ordinals, scanned: true)
        }
    }

    private func evaluate(_ chunks: [SegmentIndex]) throws(IndexError) -> [UInt32] {
        var all: [UInt32] = []
        for chunk in chunks {
            let part = try SegmentEvaluator(index: chunk, flows: flows).evaluate(request.query.filter)
            all.append(contentsOf: part)
        }
        return all
    }

    /// Adds to `out` the flow keys of every application term, from one segment.
    func collectFlows(of segment: SegmentRef, terms: [Term], into out: inout [Term: Set<UInt64>], stats: inout QueryStats) {
        guard let (chunks, _) = indexes(of: segment, stats: &stats) else { return }
        for chunk in chunks {
            for term in terms {
                guard case .application(let field, let pattern) = term, let names = chunk.names(field.fieldID) else { continue }
                do {
                    try names.flows(matching: pattern, into: &out[term, default: []])
                } catch {
                    stats.problems.append("segment \(segment.id): \(error)")
                }
            }
        }
    }
}
