extension DNSMessageParser {
    /// Most questions ``forEachQuestionName(in:name:_:)`` reads; a message declaring more is not read
    /// at all (real messages carry one, mDNS a handful).
    public static let maxQuestions = 16

    /// Calls `body` with the text length of each question name of the DNS message filling
    /// `message`, decoded into `name` by the same reader as ``parse(_:into:name:)`` (lowercased,
    /// dotted, no trailing dot; pointers strictly backwards, at most ``maxPointerJumps``, 255 bytes
    /// in wire form). The root name is skipped.
    ///
    /// Stops at the first name that is malformed, or that has a '.' inside a label (its text would
    /// read as a different name); names before it were delivered. The next question starts after
    /// the name's QTYPE and QCLASS, which must lie inside the message. Allocation-free; never traps.
    ///
    /// - Parameter name: caller-owned buffer of ``nameBufferSize`` bytes, rewritten for each name.
    public static func forEachQuestionName(in message: UnsafeRawBufferPointer, name: UnsafeMutableRawBufferPointer,
                                           _ body: (_ length: Int) -> Void) {
        let m = PayloadBytes(message)
        guard m.has(0, headerLength) else { return }
        let questions = Int(m.u16(4))
        guard questions > 0, questions <= maxQuestions else { return }
        var offset = headerLength
        for _ in 0..<questions {
            let result = DNSNameReader.read(m, at: offset, into: name)
            guard result.status == .ok, !result.dotInLabel else { return }
            if result.textLength > 0 { body(result.textLength) }
            offset = result.end &+ 4  // QTYPE, QCLASS
            guard offset <= m.count else { return }
        }
    }
}
