import PacketDecoding
import AppProtocols

/// The TCP side of the application analysis: each direction's segments are put back in order
/// (``TCPStreamDirection``), bodies are skipped without buffering, message starts that span
/// segments are collected, and the parsers (HTTP, TLS, DNS over TCP) are shown whole message
/// starts. What cannot be put back in order within the caps is a hole: counted, then the parser
/// looks for the next message at a segment start, as it did before reassembly.
extension StandardApplicationAnalyzer {
    public func segment(_ bytes: UnsafeRawBufferPointer, position: TCPSegmentPosition, flow: ApplicationFlowContext,
                        fromOriginator: Bool, timestampNanos t: Int64) -> SegmentVerdict {
        guard admits(flow) else { return SegmentVerdict(application: .none, wantsMore: false) }
        defer { notePeak() }
        // Modified in place in the dictionary: copying the state would retain its strings and arrays.
        return analyzeSegment(bytes, position, &flows[flow.slot, default: ApplicationFlowState(flowID: flow.flowID)], flow: flow,
                              fromOriginator: fromOriginator, t: t)
    }

    private func analyzeSegment(_ bytes: UnsafeRawBufferPointer, _ position: TCPSegmentPosition, _ state: inout ApplicationFlowState,
                                flow: ApplicationFlowContext, fromOriginator: Bool, t: Int64) -> SegmentVerdict {
        if state.flowID != flow.flowID {
            releaseStreams(&state)
            state = ApplicationFlowState(flowID: flow.flowID)
        }
        guard !state.streamsFinished else { return SegmentVerdict(application: state.application, wantsMore: false) }
        // The peer acknowledged bytes the capture never showed: they will not come, skip the hole.
        if let ack = position.acknowledgment {
            // Read in place: copying the direction would retain its buffers.
            let peerHolds = fromOriginator ? !state.responderStream.held.isEmpty : !state.originatorStream.held.isEmpty
            let peerNext = fromOriginator ? state.responderStream.nextSeq : state.originatorStream.nextSeq
            if peerHolds, Int32(bitPattern: ack &- peerNext) > 0 {
                withStream(!fromOriginator, &state) { dir, state in
                    giveUpHoles(before: dir.offset(ofSequence: ack), &dir, &state, flow: flow, fromOriginator: !fromOriginator)
                }
            }
        }
        withStream(fromOriginator, &state) { dir, state in
            place(bytes, position, &dir, &state, flow: flow, fromOriginator: fromOriginator, t: t)
        }
        if state.streamsFinished { releaseStreams(&state) }
        // Both directions done (a close-delimited body, an upgrade) is the same as finished.
        let wantsMore = !state.streamsFinished && !(state.originatorStream.finished && state.responderStream.finished)
        return SegmentVerdict(application: state.application, wantsMore: wantsMore)
    }

    /// Runs `body` on one direction moved out of `state` (so the parsers can take `state` inout
    /// meanwhile), then puts it back and settles the byte accounting.
    @inline(__always)
    func withStream(_ fromOriginator: Bool, _ state: inout ApplicationFlowState,
                    _ body: (inout TCPStreamDirection, inout ApplicationFlowState) -> Void) {
        // Swapped, not copied: no buffer is retained or released on the way.
        var dir = TCPStreamDirection()
        if fromOriginator { swap(&dir, &state.originatorStream) } else { swap(&dir, &state.responderStream) }
        let before = dir.bytesHeld
        streamBaseline = before
        body(&dir, &state)
        if dir.finished || state.streamsFinished { dir.release() }
        account(dir.bytesHeld - before)
        if fromOriginator { swap(&dir, &state.originatorStream) } else { swap(&dir, &state.responderStream) }
    }

    func account(_ delta: Int) {
        reassembly.bytesHeld += delta
        if reassembly.bytesHeld > reassembly.peakBytesHeld { reassembly.peakBytesHeld = reassembly.bytesHeld }
    }

    /// Drops both directions' buffers (flow over, or nothing more to parse).
    func releaseStreams(_ state: inout ApplicationFlowState) {
        account(-(state.originatorStream.bytesHeld + state.responderStream.bytesHeld))
        state.originatorStream.release()
        state.responderStream.release()
    }

    /// Places one segment: delivered at once when it continues the stream, held when a hole
    /// precedes it, ignored when everything in it was delivered already.
    private func place(_ bytes: UnsafeRawBufferPointer, _ position: TCPSegmentPosition, _ dir: inout TCPStreamDirection,
                       _ state: inout ApplicationFlowState, flow: ApplicationFlowContext, fromOriginator: Bool, t: Int64) {
        guard !dir.finished else { return }
        if !dir.started {
            dir.started = true
            // From the SYN when the first payload is near it (segments before it may still be on
            // their way); otherwise (no SYN, or a SYN of an earlier incarnation) from this segment.
            dir.nextSeq = position.sequence
            if let start = position.streamStart {
                let distance = Int32(bitPattern: position.sequence &- start)
                if distance >= 0 && Int(distance) <= limits.maxFlowBytes { dir.nextSeq = start }
            }
        }
        let offset = dir.offset(ofSequence: position.sequence)
        let wireEnd = offset + Int64(max(position.wireLength, bytes.count))
        guard wireEnd > dir.delivered else { return }  // a retransmission of delivered bytes
        // A hole waiting too long is given up before anything is placed after it.
        if offset > dir.delivered, let first = dir.held.first, t &- dir.holeSinceNanos > limits.holeTimeoutNanos {
            giveUpHoles(before: first.offset + 1, &dir, &state, flow: flow, fromOriginator: fromOriginator)
            guard !dir.finished else { return }
        }
        if offset > dir.delivered {
            let gap = offset - dir.delivered
            if dir.skip >= gap && dir.carry.isEmpty && dir.held.isEmpty {
                // The hole lies inside a body being skipped: nothing the parser needs is missing.
                reassembly.holesInsideBodies &+= 1
                dir.skip -= gap
                dir.advance(by: gap)
            } else if canHold(bytes.count, dir, state, fromOriginator: fromOriginator) {
                reassembly.segmentsHeld &+= 1
                _ = dir.hold(bytes, at: offset, nanos: t, conflicts: &reassembly.overlapConflicts)
                return
            } else {
                reassembly.capHoles &+= 1
                giveUpHoles(before: offset, &dir, &state, flow: flow, fromOriginator: fromOriginator)
                if offset > dir.delivered && !dir.finished {
                    lose(offset - dir.delivered, &dir, &state, flow: flow, fromOriginator: fromOriginator)
                }
                guard !dir.finished else { return }
            }
        }
        // In order (possibly overlapping bytes already delivered: the first copy won).
        let capturedEnd = offset + Int64(bytes.count)
        if capturedEnd > dir.delivered {
            let from = Int(dir.delivered - offset)
            feed(UnsafeRawBufferPointer(rebasing: bytes[from...]), nanos: t, atSegmentStart: from == 0, &dir, &state,
                 flow: flow, fromOriginator: fromOriginator)
        }
        // Bytes the capture cut off the end of the packet (snap length).
        if wireEnd > dir.delivered && !dir.finished {
            lose(wireEnd - dir.delivered, &dir, &state, flow: flow, fromOriginator: fromOriginator)
        }
        drain(&dir, &state, flow: flow, fromOriginator: fromOriginator)
    }

    /// Bytes the flow and global caps still leave (negative when already past one).
    private func headroom(_ dir: TCPStreamDirection, _ state: ApplicationFlowState, fromOriginator: Bool) -> Int {
        let other = fromOriginator ? state.responderStream.bytesHeld : state.originatorStream.bytesHeld
        let global = reassembly.bytesHeld + dir.bytesHeld - streamBaseline
        return min(limits.maxFlowBytes - dir.bytesHeld - other, limits.maxTotalBytes - global)
    }

    /// Whether `count` more bytes fit the per-flow, global and segment-count caps.
    private func canHold(_ count: Int, _ dir: TCPStreamDirection, _ state: ApplicationFlowState, fromOriginator: Bool) -> Bool {
        dir.held.count < limits.maxSegmentsPerDirection && count <= headroom(dir, state, fromOriginator: fromOriginator)
    }

    /// How many bytes the message start being collected may still grow by: the message-start cap,
    /// and what the flow and global caps leave.
    private func carryRoom(_ dir: TCPStreamDirection, _ state: ApplicationFlowState, fromOriginator: Bool) -> Int {
        max(0, min(limits.maxMessageStartBytes - dir.carry.count, headroom(dir, state, fromOriginator: fromOriginator)))
    }

    /// Delivers the held segments that now continue the stream.
    private func drain(_ dir: inout TCPStreamDirection, _ state: inout ApplicationFlowState,
                       flow: ApplicationFlowContext, fromOriginator: Bool) {
        while !dir.finished, let segment = dir.popContiguous() {
            guard segment.end > dir.delivered else { continue }
            let from = Int(dir.delivered - segment.offset)
            segment.bytes.withUnsafeBytes { b in
                feed(UnsafeRawBufferPointer(rebasing: b[from...]), nanos: segment.nanos, atSegmentStart: from == 0, &dir, &state,
                     flow: flow, fromOriginator: fromOriginator)
            }
        }
        if !dir.held.isEmpty { dir.holeSinceNanos = max(dir.holeSinceNanos, dir.held[0].nanos) }
    }

    /// Gives up the hole before each held segment that starts below stream offset `limit`: each
    /// is counted and skipped, and the held bytes after it are delivered. Bytes after the last
    /// such segment are not given up (they may still be on their way).
    func giveUpHoles(before limit: Int64, _ dir: inout TCPStreamDirection, _ state: inout ApplicationFlowState,
                     flow: ApplicationFlowContext, fromOriginator: Bool) {
        while !dir.finished, let first = dir.held.first, first.offset < limit {
            if first.offset > dir.delivered {
                lose(first.offset - dir.delivered, &dir, &state, flow: flow, fromOriginator: fromOriginator)
            }
            drain(&dir, &state, flow: flow, fromOriginator: fromOriginator)
        }
    }

    /// The flow ends: what is held is delivered across its holes, and a message start still
    /// being collected is parsed as far as it went.
    func flushStreams(_ state: inout ApplicationFlowState, flow: ApplicationFlowContext) {
        // Most flows end with nothing held: nothing to do.
        guard state.originatorStream.bytesHeld + state.responderStream.bytesHeld > 0 else { return }
        for fromOriginator in [true, false] where !state.streamsFinished {
            withStream(fromOriginator, &state) { dir, state in
                giveUpHoles(before: .max, &dir, &state, flow: flow, fromOriginator: fromOriginator)
                finishCarry(&dir, &state, flow: flow, fromOriginator: fromOriginator)
            }
        }
        releaseStreams(&state)
    }

    /// `count` bytes at ``TCPStreamDirection/delivered`` will never be seen. Inside a skipped body
    /// that costs nothing; otherwise a message start being collected is parsed as far as it went
    /// and the parser resynchronises at the next segment start.
    private func lose(_ count: Int64, _ dir: inout TCPStreamDirection, _ state: inout ApplicationFlowState,
                      flow: ApplicationFlowContext, fromOriginator: Bool) {
        guard count > 0 else { return }
        if dir.skip >= count && dir.carry.isEmpty {
            dir.skip -= count
            dir.advance(by: count)
            return
        }
        reassembly.holesSkipped &+= 1
        reassembly.holeBytes &+= UInt64(count - min(dir.skip, count))
        finishCarry(&dir, &state, flow: flow, fromOriginator: fromOriginator)
        dir.skip = 0
        dir.advance(by: count)
        resynchronise(&dir, &state, fromOriginator: fromOriginator)
    }

    /// The collected message start will get no more bytes: parse it as far as it goes.
    func finishCarry(_ dir: inout TCPStreamDirection, _ state: inout ApplicationFlowState,
                     flow: ApplicationFlowContext, fromOriginator: Bool) {
        guard !dir.carry.isEmpty, !dir.finished else { return }
        let step = dir.carry.withUnsafeBytes {
            consume($0, nanos: dir.carryNanos, truncated: true, fromOriginator: fromOriginator, &state, flow: flow)
        }
        dir.carry = []
        switch step {
        case .finished: dir.finished = true
        case .finishedFlow:
            dir.finished = true
            state.streamsFinished = true
        case .needMore, .consumed, .lost, .resync: resynchronise(&dir, &state, fromOriginator: fromOriginator)
        }
    }

    private func resynchronise(_ dir: inout TCPStreamDirection, _ state: inout ApplicationFlowState, fromOriginator: Bool) {
        dir.resync = true
        dir.skip = 0
        if fromOriginator { state.httpRequestPhase = .messageStart } else { state.httpResponsePhase = .messageStart }
    }

    /// Shows in-order bytes to the parser: skips what it does not want, collects message starts
    /// that continue in a later segment, and walks every message in the bytes.
    private func feed(_ view: UnsafeRawBufferPointer, nanos t: Int64, atSegmentStart: Bool, _ dir: inout TCPStreamDirection,
                      _ state: inout ApplicationFlowState, flow: ApplicationFlowContext, fromOriginator: Bool) {
        dir.advance(by: Int64(view.count))
        var rest = view
        var segmentStart = atSegmentStart
        while !rest.isEmpty && !dir.finished && !state.streamsFinished {
            if dir.skip > 0 {
                let k = Int(min(dir.skip, Int64(rest.count)))
                dir.skip -= Int64(k)
                rest = UnsafeRawBufferPointer(rebasing: rest[k...])
                segmentStart = false
                continue
            }
            if dir.carry.isEmpty {
                if dir.resync && !segmentStart { return }
                var step = consume(rest, nanos: t, truncated: false, fromOriginator: fromOriginator, &state, flow: flow)
                if case .needMore = step {
                    let room = carryRoom(dir, state, fromOriginator: fromOriginator)
                    guard rest.count >= room else {
                        dir.carry = Array(rest)
                        dir.carryNanos = t
                        return
                    }
                    // No room to wait for the rest: parse the message start as far as it goes.
                    reassembly.messageStartsTruncated &+= 1
                    let cut = max(room, min(rest.count, limits.maxMessageStartBytes))
                    step = consume(UnsafeRawBufferPointer(rebasing: rest[..<cut]), nanos: t, truncated: true,
                                   fromOriginator: fromOriginator, &state, flow: flow)
                }
                guard let used = apply(step, viewCount: rest.count, &dir, &state, fromOriginator: fromOriginator) else { return }
                rest = UnsafeRawBufferPointer(rebasing: rest[used...])
            } else {
                // Continue the collected message start with these bytes (up to the cap).
                let appended = min(rest.count, carryRoom(dir, state, fromOriginator: fromOriginator))
                let firstNew = dir.carry.count
                dir.carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<appended]))
                rest = UnsafeRawBufferPointer(rebasing: rest[appended...])
                // Full when bytes were left out for lack of room: the start cannot grow any more.
                guard parseCarry(firstNew: firstNew, full: !rest.isEmpty, nanos: t, &dir, &state, flow: flow,
                                 fromOriginator: fromOriginator) else { return }
            }
            segmentStart = false
        }
    }

    /// Parses the messages in the carry. Returns false when the rest of the segment is to be
    /// dropped (desynchronised or finished).
    private func parseCarry(firstNew: Int, full: Bool, nanos t: Int64, _ dir: inout TCPStreamDirection,
                            _ state: inout ApplicationFlowState, flow: ApplicationFlowContext, fromOriginator: Bool) -> Bool {
        var removed = 0
        while !dir.carry.isEmpty {
            var step = dir.carry.withUnsafeBytes {
                consume($0, nanos: dir.carryNanos, truncated: false, fromOriginator: fromOriginator, &state, flow: flow)
            }
            if case .needMore = step {
                guard full else { return true }
                reassembly.messageStartsTruncated &+= 1
                step = dir.carry.withUnsafeBytes {
                    consume($0, nanos: dir.carryNanos, truncated: true, fromOriginator: fromOriginator, &state, flow: flow)
                }
            }
            guard let used = apply(step, viewCount: dir.carry.count, &dir, &state, fromOriginator: fromOriginator) else {
                dir.carry = []
                return false
            }
            // The body the parser skips may start in the carry.
            let skipped = Int(min(dir.skip, Int64(dir.carry.count - used)))
            dir.skip -= Int64(skipped)
            dir.carry.removeFirst(used + skipped)
            removed += used + skipped
            // What remains arrived with the newest bytes when the removed part reached them.
            if removed >= firstNew { dir.carryNanos = t }
        }
        return true
    }

    /// Applies a parser's answer: the bytes it used, or nil when the rest of the view is dropped.
    private func apply(_ step: StreamStep, viewCount: Int, _ dir: inout TCPStreamDirection, _ state: inout ApplicationFlowState,
                       fromOriginator: Bool) -> Int? {
        switch step {
        case .consumed(let count, let skip) where count > 0:
            dir.resync = false
            dir.skip = max(0, skip)
            return min(count, viewCount)
        case .consumed, .needMore, .lost:
            if !dir.resync { reassembly.desynchronisations &+= 1 }
            resynchronise(&dir, &state, fromOriginator: fromOriginator)
            return nil
        case .resync:
            resynchronise(&dir, &state, fromOriginator: fromOriginator)
            return nil
        case .finished:
            dir.finished = true
            return nil
        case .finishedFlow:
            dir.finished = true
            state.streamsFinished = true
            return nil
        }
    }

    /// Hands a message start to the flow's parser, recognising the application first.
    func consume(_ v: UnsafeRawBufferPointer, nanos t: Int64, truncated: Bool, fromOriginator: Bool,
                 _ state: inout ApplicationFlowState, flow: ApplicationFlowContext) -> StreamStep {
        switch state.application {
        case .http:
            return fromOriginator
                ? httpRequestStep(v, nanos: t, truncated: truncated, &state, flow: flow)
                : httpResponseStep(v, nanos: t, truncated: truncated, &state, flow: flow)
        case .tls:
            return tlsStep(v, truncated: truncated, fromOriginator: fromOriginator, &state, flow: flow, t: t)
        case .dns:
            return dnsStreamStep(v, nanos: t, truncated: truncated, &state, flow: flow)
        case .none:
            let application = detect(v, flow: flow, fromOriginator: fromOriginator)
            if application != .none {
                state.application = application
                return consume(v, nanos: t, truncated: truncated, fromOriginator: fromOriginator, &state, flow: flow)
            }
            // `GET /a-long-pa` cut by the segment end: wait for the rest of the line.
            if detectionNeedsMore && !truncated { return .needMore }
            state.misses &+= 1
            return state.misses >= Self.maxMisses ? .finishedFlow : .resync
        }
    }
}
