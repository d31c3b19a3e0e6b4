/// A fixed 256-byte buffer an application-name parser writes one name into (lowercased), so
/// extracting names allocates nothing. DNS names are at most 255 bytes; longer HTTP Host values or
/// SNIs are not indexed.
struct NameScratch {
    static let capacity = 256
    let bytes: UnsafeMutablePointer<UInt8>
    var count = 0

    init(bytes: UnsafeMutablePointer<UInt8>) { self.bytes = bytes }

    /// Appends one byte, ASCII-lowercased; false when the name would exceed the capacity.
    @inline(__always)
    mutating func append(_ b: UInt8) -> Bool {
        guard count < Self.capacity else { return false }
        bytes[count] = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
        count += 1
        return true
    }

    mutating func reset() { count = 0 }

    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: bytes, count: count) }
}

/// Names are stored and matched with their dot-separated labels in reverse order
/// ("www.example.com" is kept as "com.example.www"), so that the suffix pattern `*.example.com`
/// becomes the byte-prefix "com.example." and is answered by a range of the sorted name table.
enum ReversedName {
    /// Writes `name` with its labels reversed into `out` (same length).
    static func reverse(_ name: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) {
        var end = name.count
        var o = 0
        var i = name.count - 1
        while i >= -1 {
            if i == -1 || name[i] == UInt8(ascii: ".") {
                let start = i + 1
                for j in start..<end {
                    out[o] = name[j]
                    o += 1
                }
                if i >= 0 {
                    out[o] = UInt8(ascii: ".")
                    o += 1
                }
                end = i
            }
            i -= 1
        }
    }

    /// The reversed form of a textual name (query side), lowercased, without a trailing dot.
    static func reversed(_ text: String) -> [UInt8] {
        var name = Array(text.utf8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        while name.last == UInt8(ascii: ".") { name.removeLast() }
        guard !name.isEmpty else { return [] }
        var out = [UInt8](repeating: 0, count: name.count)
        name.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { reverse(src, into: $0.baseAddress!) }
        }
        return out
    }
}
