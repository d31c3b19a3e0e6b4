/// Query parameters of a request target, decoded exactly once, as HTML forms encode them:
/// `+` is a space and `%XX` a byte. (Decoding twice turned `%2B` into a space, so an RFC 3339
/// offset such as `+01:00` was lost.)
public struct QueryParameters: Sendable {
    private var pairs: [(name: String, value: String)] = []

    /// Parses the raw query (the part of the target after `?`, still encoded). Malformed escapes
    /// (`%zz`, a lone `%`) are kept literally; invalid UTF-8 is repaired (U+FFFD).
    public init(rawQuery: String?) {
        guard let rawQuery, !rawQuery.isEmpty else { return }
        for field in rawQuery.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let eq = field.firstIndex(of: UInt8(ascii: "=")) {
                pairs.append((Self.decode(field[..<eq]), Self.decode(field[field.index(after: eq)...])))
            } else {
                pairs.append((Self.decode(field[...]), ""))
            }
        }
    }

    /// The first value of `name`, or nil when the query does not name it.
    public subscript(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// Every name the query gives, in order (repeated names repeated).
    public var names: [String] { pairs.map(\.name) }

    static func decode(_ bytes: Substring.UTF8View) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), let h1 = bytes.index(i, offsetBy: 1, limitedBy: bytes.endIndex), h1 < bytes.endIndex,
                      let h2 = bytes.index(i, offsetBy: 2, limitedBy: bytes.endIndex), h2 < bytes.endIndex,
                      let hi = hex(bytes[h1]), let lo = hex(bytes[h2]) {
                out.append(hi << 4 | lo)
                i = h2
            } else {
                out.append(b)
            }
            i = bytes.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}
