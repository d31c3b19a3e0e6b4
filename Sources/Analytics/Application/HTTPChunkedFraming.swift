import AppProtocols

/// Chunked transfer coding (RFC 9112 §7.1): chunk-size lines are read, chunk data is skipped
/// (never buffered), trailer lines are read up to the empty line ending the message. An endless
/// chunked body costs one short line read per chunk.
extension StandardApplicationAnalyzer {
    /// Longest chunk-size or trailer line accepted (extensions included).
    static let maxChunkLineLength = 4096
    /// Most hex digits of a chunk size (2^60 bytes: more is not a real body).
    static let maxChunkSizeDigits = 15

    func chunkedStep(_ v: UnsafeRawBufferPointer, truncated: Bool, phase: inout HTTPFramingPhase) -> StreamStep {
        switch phase {
        case .messageStart:
            return .lost
        case .chunkEnd:
            // The CRLF (or bare LF) after a chunk's data.
            guard let first = v.first else { return .needMore }
            if first == 0x0A {
                phase = .chunkSize
                return .consumed(1, skip: 0)
            }
            guard first == 0x0D else { return lostFraming(&phase) }
            guard v.count >= 2 else { return truncated ? lostFraming(&phase) : .needMore }
            guard v[1] == 0x0A else { return lostFraming(&phase) }
            phase = .chunkSize
            return .consumed(2, skip: 0)
        case .chunkSize:
            guard let next = Self.lineEnd(v) else {
                return truncated || v.count >= Self.maxChunkLineLength ? lostFraming(&phase) : .needMore
            }
            var size: Int64 = 0
            var digits = 0
            while digits < v.count, let d = Self.hexValue(v[digits]) {
                guard digits < Self.maxChunkSizeDigits else { return lostFraming(&phase) }
                size = size << 4 | Int64(d)
                digits += 1
            }
            guard digits > 0 else { return lostFraming(&phase) }
            if size == 0 {
                phase = .trailers
                return .consumed(next, skip: 0)
            }
            phase = .chunkEnd
            return .consumed(next, skip: size)
        case .trailers:
            guard let next = Self.lineEnd(v) else {
                return truncated || v.count >= Self.maxChunkLineLength ? lostFraming(&phase) : .needMore
            }
            // An empty line (LF or CR LF) ends the message.
            if next == 1 || (next == 2 && v[0] == 0x0D) { phase = .messageStart }
            return .consumed(next, skip: 0)
        }
    }

    private func lostFraming(_ phase: inout HTTPFramingPhase) -> StreamStep {
        phase = .messageStart
        return .lost
    }

    /// Offset just past the first LF, nil when there is none within the line limit.
    static func lineEnd(_ v: UnsafeRawBufferPointer) -> Int? {
        let n = min(v.count, maxChunkLineLength)
        var i = 0
        while i < n {
            if v[i] == 0x0A { return i + 1 }
            i += 1
        }
        return nil
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}
