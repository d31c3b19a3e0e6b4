/// One direction of a TCP connection as the application parsers see it: the bytes delivered so
/// far, the body the parser skips, the segments held ahead of a hole, and the start of a message
/// that spans segments.
///
/// Positions are 64-bit stream offsets (bytes since the direction's first byte), so comparisons
/// never wrap; ``nextSeq`` maps the TCP sequence space onto them. Segments are placed relative to
/// ``nextSeq`` with 32-bit wrapping arithmetic, as TCP itself does.
struct TCPStreamDirection {
    /// Stream offset of the next byte the parsers have not seen.
    var delivered: Int64 = 0
    /// The TCP sequence number of ``delivered``.
    var nextSeq: UInt32 = 0
    var started = false
    /// Bytes after ``delivered`` the parser does not want (the rest of a body): they are counted,
    /// not buffered, and a hole inside them costs nothing.
    var skip: Int64 = 0
    /// The parser wants nothing more from this direction (TLS after the handshake, a body that runs
    /// to the close, a protocol switch).
    var finished = false
    /// After a hole or a desynchronisation: the next message is looked for at a segment start.
    var resync = false
    /// The start of a message that spans segments, kept until it can be parsed whole (at most
    /// ``StreamReassemblyConfig/maxMessageStartBytes``).
    var carry: [UInt8] = []
    /// Packet time of the carry's first byte.
    var carryNanos: Int64 = 0
    /// Segments ahead of a hole, sorted by offset, not overlapping each other.
    var held: [HeldSegment] = []
    var heldBytes = 0
    /// When the first segment beyond the oldest open hole arrived.
    var holeSinceNanos: Int64 = 0

    /// Bytes this direction holds (counted against the caps).
    var bytesHeld: Int { heldBytes + carry.count }

    /// Stream offset of a segment starting at `seq`. Sequence numbers further than 2 GiB from the
    /// next expected one are read as behind it (old), as TCP's own comparison does.
    @inline(__always)
    func offset(ofSequence seq: UInt32) -> Int64 {
        delivered + Int64(Int32(bitPattern: seq &- nextSeq))
    }

    /// Moves ``delivered`` (and ``nextSeq`` with it) forward by `count` bytes.
    @inline(__always)
    mutating func advance(by count: Int64) {
        guard count > 0 else { return }
        delivered += count
        nextSeq = nextSeq &+ UInt32(truncatingIfNeeded: count)
    }

    /// Holds `bytes` found at stream `offset` (beyond ``delivered``). Bytes another held segment
    /// already covers are not stored again: the first copy wins, and a differing copy is counted
    /// in `conflicts`. Returns the number of bytes newly held.
    mutating func hold(_ bytes: UnsafeRawBufferPointer, at offset: Int64, nanos: Int64, conflicts: inout UInt64) -> Int {
        let end = offset + Int64(bytes.count)
        if held.isEmpty { holeSinceNanos = nanos }
        var cursor = offset
        var added = 0
        var index = 0
        var differs = false
        while index < held.count && cursor < end {
            let h = held[index]
            if h.end <= cursor { index += 1; continue }
            if h.offset >= end { break }
            if h.offset > cursor {
                // The part before this held segment is new.
                let piece = HeldSegment(offset: cursor, nanos: nanos, bytes: Self.slice(bytes, from: cursor - offset, to: h.offset - offset))
                added += piece.bytes.count
                held.insert(piece, at: index)
                index += 1
                cursor = h.offset
            }
            // The overlap with this held segment: compare, keep the held copy.
            let overlapEnd = min(end, h.end)
            if !differs && !Self.same(bytes, from: cursor - offset, h, from: cursor - h.offset, count: Int(overlapEnd - cursor)) {
                differs = true
            }
            cursor = overlapEnd
            index += 1
        }
        if cursor < end {
            let piece = HeldSegment(offset: cursor, nanos: nanos, bytes: Self.slice(bytes, from: cursor - offset, to: end - offset))
            added += piece.bytes.count
            held.insert(piece, at: index)
        }
        if differs { conflicts &+= 1 }
        heldBytes += added
        return added
    }

    /// The first held segment when nothing is missing before it.
    mutating func popContiguous() -> HeldSegment? {
        guard let first = held.first, first.offset <= delivered else { return nil }
        held.removeFirst()
        heldBytes -= first.bytes.count
        return first
    }

    /// Drops everything held (the parser wants no more).
    mutating func release() {
        held = []
        heldBytes = 0
        carry = []
    }

    private static func slice(_ bytes: UnsafeRawBufferPointer, from: Int64, to: Int64) -> [UInt8] {
        Array(bytes[Int(from) ..< Int(to)])
    }

    private static func same(_ bytes: UnsafeRawBufferPointer, from a: Int64, _ h: HeldSegment, from b: Int64, count: Int) -> Bool {
        guard count > 0 else { return true }
        return h.bytes.withUnsafeBytes { heldBytes in
            bytes[Int(a) ..< Int(a) + count].elementsEqual(heldBytes[Int(b) ..< Int(b) + count])
        }
    }
}

/// Bytes that arrived ahead of a hole.
struct HeldSegment {
    /// Stream offset of the first byte.
    var offset: Int64
    /// Packet time of the segment that brought them.
    var nanos: Int64
    var bytes: [UInt8]

    var end: Int64 { offset + Int64(bytes.count) }
}

/// What a parser did with the bytes it was shown (see ``StandardApplicationAnalyzer``'s stream
/// driver).
enum StreamStep {
    /// The message start is not complete: show it again with more bytes.
    case needMore
    /// `count` bytes were one message start (or a piece of framing); then `skip` bytes the parser
    /// does not need (a body).
    case consumed(Int, skip: Int64)
    /// No message starts here although one was due: drop the rest of the segment and look again at
    /// the next segment start (counted as a desynchronisation).
    case lost
    /// A message was read but where it ends is unknown (a truncated header block): look again at
    /// the next segment start, without counting a desynchronisation.
    case resync
    /// Nothing more is wanted from this direction.
    case finished
    /// Nothing more is wanted from either direction.
    case finishedFlow
}
