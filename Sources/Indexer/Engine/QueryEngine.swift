import PcapFormat

/// Runs queries over a list of segments: selects the segments overlapping the time range,
/// evaluates the filter on each one's index (or scans it), and streams the matching records
/// merged in time order.
///
/// ```swift
/// let engine = QueryEngine(segments: refs)
/// let query = try QueryParser.parse("host 10.1.2.3 and port 5432 and after 15m ago")
/// let stats = try engine.run(QueryRequest(query: query)) { packet in
///     send(packet.record)          // valid only during the call
///     return true                  // false stops the query
/// }
/// ```
///
/// Order: by packet time across segments; packets of equal time keep segment order, and a
/// segment's own packets keep their file order (like `mergecap`), so a segment that is not in time
/// order is not re-sorted. Nothing is buffered but the current record of each open segment and
/// the matching ordinals of the open segments (4 bytes per match).
///
/// Segment-level trouble (an index that is missing, corrupt or stale; a pcap deleted by retention
/// before it could be opened; a cut file) never fails the query: the segment is scanned, skipped or
/// ended early, and the reason is listed in ``QueryStats/problems``.
public struct QueryEngine: Sendable {
    /// The segments a query may read (in any order).
    public let segments: [SegmentRef]

    /// An engine over `segments`.
    public init(segments: [SegmentRef]) { self.segments = segments }

    /// Streams the matching packets to `sink` in time order. `sink` returns false to stop. Errors
    /// thrown by the sink end the query and are rethrown.
    public func run(_ request: QueryRequest, sink: (MatchedPacket) throws -> Bool) throws -> QueryStats {
        var stats = QueryStats()
        let (lower, upper) = request.timeRange
        let candidates = self.candidates(request)
        stats.segmentsInRange = candidates.count
        guard lower < upper, request.limit ?? 1 > 0 else { return stats }
        let matcher = SegmentMatcher(request: request, flows: resolveFlows(request, candidates, &stats))
        let limit = UInt64(request.limit ?? Int.max)

        var queue = MergeQueue()
        for (i, segment) in candidates.enumerated() {
            queue.push(.init(time: max(segment.firstNanos ?? .min, lower), isOpen: false, order: i, slot: i))
        }
        var cursors: [MatchCursor?] = Array(repeating: nil, count: candidates.count)
        defer { cursors.removeAll() }  // closes any descriptor still open, whatever ends the query

        while let entry = queue.pop() {
            if !entry.isOpen {
                let segment = candidates[entry.slot]
                guard let cursor = open(segment, order: entry.order, matcher: matcher, lower: lower, upper: upper, stats: &stats) else { continue }
                if step(cursor, &stats) {
                    cursors[entry.slot] = cursor
                    queue.push(.init(time: cursor.current!.timestampNanos, isOpen: true, order: entry.order, slot: entry.slot))
                }
                continue
            }
            guard let cursor = cursors[entry.slot], let record = cursor.current else { continue }
            let packet = MatchedPacket(
                segmentID: cursor.segment.id, recordOffset: record.offset,
                header: PacketHeader(seconds: record.header.seconds, fraction: record.header.fraction, nanosecond: cursor.nanosecond,
                                     capturedLength: record.header.capturedLength, originalLength: record.header.originalLength),
                linkType: cursor.segment.linkType, nanosecond: cursor.nanosecond, record: record.raw, data: record.data)
            stats.packets += 1
            stats.bytes += UInt64(record.data.count)
            if try !sink(packet) {
                stats.stoppedBySink = true
                return stats
            }
            if stats.packets >= limit {
                stats.limitReached = true
                return stats
            }
            if step(cursor, &stats) {
                queue.push(.init(time: cursor.current!.timestampNanos, isOpen: true, order: entry.order, slot: entry.slot))
            } else {
                cursors[entry.slot] = nil
            }
        }
        return stats
    }

    /// Counts the matching packets (and their captured bytes) without delivering them. Segments
    /// entirely inside the time range are counted from the index alone.
    public func count(_ request: QueryRequest) -> QueryStats {
        var stats = QueryStats()
        let (lower, upper) = request.timeRange
        let candidates = self.candidates(request)
        stats.segmentsInRange = candidates.count
        guard lower < upper else { return stats }
        let matcher = SegmentMatcher(request: request, flows: resolveFlows(request, candidates, &stats))
        let limit = UInt64(request.limit ?? Int.max)
        for (i, segment) in candidates.enumerated() where stats.packets < limit {
            guard let cursor = open(segment, order: i, matcher: matcher, lower: lower, upper: upper, stats: &stats) else { continue }
            let (packets, bytes, problem) = cursor.count(limit: limit - stats.packets)
            stats.packets += packets
            stats.bytes += bytes
            if let problem { stats.problems.append("segment \(segment.id): \(problem)") }
        }
        stats.limitReached = stats.packets >= limit
        return stats
    }

    /// Writes the matching packets as a classic pcap stream to `fd` (not closed). The segments in
    /// range must share one link type, else ``ExtractionError/Code/mixedLinkTypes`` is thrown before
    /// anything is written (narrow the request with ``QueryRequest/linkType``). Timestamps are
    /// written in nanoseconds if any segment in range is nanosecond, else in microseconds.
    ///
    /// The process should ignore SIGPIPE, so that a client going away ends the query with
    /// ``ExtractionError/Code/writeFailed`` instead of killing it.
    public func writePcap(_ request: QueryRequest, to fd: Int32) throws -> QueryStats {
        let candidates = self.candidates(request)
        let linkTypes = Set(candidates.map(\.linkType))
        guard linkTypes.count <= 1 else {
            throw ExtractionError(.mixedLinkTypes, "link types \(linkTypes.sorted().map(String.init).joined(separator: ", ")); choose one")
        }
        let nanosecond = candidates.contains { $0.nanosecond }
        let writer = PcapStreamWriter(fd: fd, linkType: linkTypes.first ?? request.linkType ?? 1, nanosecond: nanosecond)
        try writer.writeHeader()
        let stats = try run(request) { packet in
            try writer.write(packet)
            return true
        }
        try writer.flush()
        return stats
    }

    // MARK: Steps

    /// Segments of the requested link type whose catalog time range overlaps the query, in merge
    /// order (first packet time, then id).
    func candidates(_ request: QueryRequest) -> [SegmentRef] {
        let (lower, upper) = request.timeRange
        return segments.filter { s in
            if let type = request.linkType, s.linkType != type { return false }
            let first = s.firstNanos ?? s.snapshot?.firstNanos
            let last = s.lastNanos ?? s.snapshot?.lastNanos
            if let last, last < lower { return false }
            if let first, first >= upper { return false }
            return true
        }.sorted { a, b in
            let fa = a.firstNanos ?? .min, fb = b.firstNanos ?? .min
            return fa != fb ? fa < fb : a.id < b.id
        }
    }

    /// First pass for application terms: the flows that carried each name in any segment of the
    /// range, so that the second pass selects those flows' packets in every segment.
    private func resolveFlows(_ request: QueryRequest, _ candidates: [SegmentRef], _ stats: inout QueryStats) -> [Term: [UInt64]] {
        let terms = Array(Set(request.query.filter?.applicationTerms ?? []))
        guard !terms.isEmpty else { return [:] }
        let matcher = SegmentMatcher(request: request, flows: [:])
        var found: [Term: Set<UInt64>] = [:]
        for segment in candidates {
            matcher.collectFlows(of: segment, terms: terms, into: &found, stats: &stats)
        }
        var resolved: [Term: [UInt64]] = [:]
        for term in terms { resolved[term] = (found[term] ?? []).sorted() }
        return resolved
    }

    /// Evaluates the filter on `segment` and, if anything matches, opens its pcap for reading.
    private func open(_ segment: SegmentRef, order: Int, matcher: SegmentMatcher, lower: Int64, upper: Int64,
                      stats: inout QueryStats) -> MatchCursor? {
        // The index first: a segment without matches costs no pcap open at all.
        guard let matches = matcher.matches(of: segment, stats: &stats) else {
            stats.segmentsSkipped += 1
            return nil
        }
        if matches.scanned { stats.segmentsScanned += 1 } else { stats.segmentsIndexed += 1 }
        guard !matches.ordinals.isEmpty, !matches.chunks.isEmpty else { return nil }
        let file: SegmentFile
        do {
            file = try SegmentFile(path: segment.pcapPath)
        } catch {
            stats.segmentsSkipped += 1
            switch error {
            case .missing: stats.problems.append("segment \(segment.id): \(segment.pcapPath) no longer exists")
            case .unreadable(let why): stats.problems.append("segment \(segment.id): \(why)")
            }
            return nil
        }
        guard file.header.linkType == segment.linkType else {
            stats.segmentsSkipped += 1
            stats.problems.append("segment \(segment.id): file link type \(file.header.linkType) != catalog \(segment.linkType)")
            return nil
        }
        return MatchCursor(segment: segment, order: order, file: file, matches: matches, lower: lower, upper: upper)
    }

    /// Advances `cursor`; false when it has nothing more (a failure is noted).
    private func step(_ cursor: MatchCursor, _ stats: inout QueryStats) -> Bool {
        switch cursor.advance() {
        case .record: return true
        case .exhausted: return false
        case .failed(let why):
            stats.problems.append("segment \(cursor.segment.id): \(why)")
            return false
        }
    }
}
