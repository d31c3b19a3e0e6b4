/// Reads the question names of a DNS message (RFC 1035 §4.1.2), following compression pointers.
/// Used for UDP/TCP traffic on ports 53 (DNS), 5353 (mDNS) and 5355 (LLMNR), which share the format
/// and which tshark reports in the same `dns.qry.name` field.
enum DNSQuestionNames {
    @inline(__always)
    static func isDNSPort(_ port: UInt16) -> Bool { port == 53 || port == 5353 || port == 5355 }

    /// Calls `emit` with each question name of the message in `message` (at most 16 questions).
    static func forEachQuestion(in message: UnsafeRawBufferPointer, scratch: inout NameScratch,
                                _ emit: (inout NameScratch) -> Void) {
        guard message.count >= 12 else { return }
        let questions = Int(UInt16(message[4]) << 8 | UInt16(message[5]))
        guard questions > 0, questions <= 16 else { return }
        var offset = 12
        for _ in 0..<questions {
            scratch.reset()
            guard let next = readName(message, at: offset, into: &scratch) else { return }
            if scratch.count > 0 { emit(&scratch) }
            offset = next + 4  // QTYPE, QCLASS
            guard offset <= message.count else { return }
        }
    }

    /// Reads a possibly compressed name at `start`; returns the offset just past it in the message
    /// (past the first pointer if compressed), or nil on a malformed name.
    static func readName(_ m: UnsafeRawBufferPointer, at start: Int, into out: inout NameScratch) -> Int? {
        var offset = start
        var resume: Int?
        var jumps = 0
        while true {
            guard offset < m.count else { return nil }
            let length = Int(m[offset])
            if length == 0 {
                return resume ?? offset + 1
            }
            if length & 0xC0 == 0xC0 {
                guard offset + 1 < m.count, jumps < 16 else { return nil }
                if resume == nil { resume = offset + 2 }
                offset = (length & 0x3F) << 8 | Int(m[offset + 1])
                jumps += 1
                continue
            }
            guard length <= 63, offset + 1 + length <= m.count else { return nil }
            if out.count > 0 { guard out.append(UInt8(ascii: ".")) else { return nil } }
            for i in 0..<length {
                let b = m[offset + 1 + i]
                guard b != UInt8(ascii: "."), out.append(b) else { return nil }
            }
            offset += 1 + length
        }
    }
}
