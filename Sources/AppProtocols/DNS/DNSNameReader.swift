/// Decodes one possibly compressed domain name (RFC 1035 §3.1, §4.1.4) into a caller buffer.
///
/// Hostile-input rules, each reported as a ``DNSParseStatus``:
/// - a pointer must target a byte strictly before the start of the name segment that contains it
///   (the name's start, or the previous pointer's target). Real compressors only point at names
///   written earlier, so this loses nothing and makes every loop (self-pointer, cycles, forward
///   jumps) impossible: segment starts strictly decrease.
/// - at most ``DNSMessageParser/maxPointerJumps`` pointers, as a second, independent bound;
/// - labels of 1...63 bytes that lie inside the message; label types 0x40/0x80 are rejected;
/// - at most 255 bytes in wire form (length bytes + labels + root).
enum DNSNameReader {
    /// Result of reading a name: the status, the offset just past the name at its original
    /// position (past the first pointer when compressed), the decoded text length, and whether a
    /// label holds a '.' byte (copied as it is: the text then reads as more labels than it has).
    struct Result {
        var status: DNSParseStatus
        var end: Int
        var textLength: Int
        var dotInLabel = false
    }

    static func read(_ m: PayloadBytes, at start: Int, into out: UnsafeMutableRawBufferPointer) -> Result {
        var offset = start
        var segmentStart = start
        var end = -1  // set at the first pointer: the name continues elsewhere but ends here
        var jumps = 0
        var wireLength = 1  // the terminating root label
        var written = 0
        var dotInLabel = false
        while true {
            guard m.has(offset, 1) else { return Result(status: .questionTruncated, end: 0, textLength: written) }
            let length = Int(m.u8(offset))
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    return Result(status: .ok, end: end >= 0 ? end : offset + 1, textLength: written, dotInLabel: dotInLabel)
                }
                wireLength += 1 + length
                guard wireLength <= DNSMessageParser.maxNameWireLength else {
                    return Result(status: .nameTooLong, end: 0, textLength: written)
                }
                guard m.has(offset + 1, length) else { return Result(status: .questionTruncated, end: 0, textLength: written) }
                let needed = written + (written > 0 ? 1 : 0) + length
                guard needed <= out.count else { return Result(status: .nameBufferTooSmall, end: 0, textLength: written) }
                if written > 0 {
                    out.storeBytes(of: ASCII.dot, toByteOffset: written, as: UInt8.self)
                    written += 1
                }
                for i in 1...length {
                    let b = m.u8(offset + i)
                    if b == ASCII.dot { dotInLabel = true }
                    out.storeBytes(of: ASCII.lower(b), toByteOffset: written, as: UInt8.self)
                    written += 1
                }
                offset += 1 + length
            case 0xC0:
                guard m.has(offset, 2) else { return Result(status: .questionTruncated, end: 0, textLength: written) }
                let target = Int(m.u16(offset) & 0x3FFF)
                // Strictly before the current segment, and never into the 12-byte header.
                guard target < segmentStart, target >= DNSMessageParser.headerLength else {
                    return Result(status: .badPointer, end: 0, textLength: written)
                }
                jumps += 1
                guard jumps <= DNSMessageParser.maxPointerJumps else {
                    return Result(status: .tooManyPointers, end: 0, textLength: written)
                }
                if end < 0 { end = offset + 2 }
                segmentStart = target
                offset = target
            default:
                return Result(status: .badLabelType, end: 0, textLength: written)
            }
        }
    }
}
