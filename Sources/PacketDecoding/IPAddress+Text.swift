// Text form of IPAddress. Only tests, logs and UIs use this: never the decode path.

extension IPAddress: LosslessStringConvertible {
    /// Dotted quad for IPv4; RFC 5952 canonical text for IPv6 (lowercase, longest run of two or more
    /// zero groups compressed to `::`) — the same text tshark prints.
    public var description: String {
        if let v4 = ipv4 {
            return "\(v4 >> 24).\((v4 >> 16) & 0xFF).\((v4 >> 8) & 0xFF).\(v4 & 0xFF)"
        }
        let groups: [UInt16] = (0..<8).map { i in
            UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> UInt64(48 - 16 * (i % 4)))
        }
        // Longest run of zero groups (first one on ties); RFC 5952 §4.2.2: never compress just one.
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var text = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                text += "::"
                i += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(groups[i], radix: 16)
            i += 1
        }
        return text
    }

    /// Parses a dotted-quad IPv4 address (stored IPv4-mapped) or IPv6 text (with optional `::`
    /// compression and an optional trailing dotted quad). Returns `nil` for anything else.
    public init?(_ description: String) {
        let text = Array(description.utf8)
        if !text.contains(UInt8(ascii: ":")) {
            guard let v4 = Self.parseDottedQuad(text[...]) else { return nil }
            self.init(ipv4: v4)
            return
        }
        guard let groups = Self.parseIPv6Groups(text) else { return nil }
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(groups[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(groups[i]) }
        self.init(high: high, low: low)
    }

    /// Four decimal octets 0–255 separated by dots, no leading `+`/`-`, no empty parts.
    private static func parseDottedQuad(_ text: ArraySlice<UInt8>) -> UInt32? {
        let parts = text.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3 else { return nil }
            var octet: UInt32 = 0
            for c in part {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                octet = octet * 10 + UInt32(c - UInt8(ascii: "0"))
            }
            guard octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// Eight 16-bit groups, expanding a single `::` and an embedded trailing IPv4 address.
    private static func parseIPv6Groups(_ text: [UInt8]) -> [UInt16]? {
        let colon = UInt8(ascii: ":")
        var head: [UInt16] = [], tail: [UInt16] = []
        var sawGap = false
        var i = 0
        if text.starts(with: [colon, colon]) { sawGap = true; i = 2 }
        while i < text.count {
            var end = i
            while end < text.count && text[end] != colon { end += 1 }
            let field = text[i..<end]
            if field.contains(UInt8(ascii: ".")) {
                // An embedded IPv4 address must be the last field and fills two groups.
                guard end == text.count, let v4 = parseDottedQuad(field) else { return nil }
                let pair = [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                if sawGap { tail += pair } else { head += pair }
                i = end
                break
            }
            guard !field.isEmpty, field.count <= 4, let group = UInt16(String(decoding: field, as: UTF8.self), radix: 16)
            else { return nil }
            if sawGap { tail.append(group) } else { head.append(group) }
            i = end
            if i == text.count { break }
            // Consume ':' and detect '::'.
            i += 1
            if i < text.count && text[i] == colon {
                guard !sawGap else { return nil }
                sawGap = true
                i += 1
            } else if i == text.count {
                return nil  // trailing single ':'
            }
        }
        let count = head.count + tail.count
        if sawGap {
            guard count <= 7 else { return nil }
            return head + Array(repeating: 0, count: 8 - count) + tail
        }
        return count == 8 ? head : nil
    }
}
