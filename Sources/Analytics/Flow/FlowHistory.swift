/// A Zeek history string kept in two machine words (24 letters of 5 bits), so recording a letter
/// never allocates; the `String` is made only when a record is emitted. Letters beyond 24 are
/// dropped (Zeek itself caps repeated letters logarithmically, so real histories are short).
///
/// Zeek's alphabet (`^` and `S H A D F R C G I Q T W`, upper case for the originator, lower case
/// for the responder) fits 5 bits with 0 left for "no letter", so the count is the position of
/// the last non-zero code and needs no byte of its own: 16 bytes (was 25).
struct FlowHistory: Equatable {
    private var w0: UInt64 = 0
    private var w1: UInt64 = 0

    static let capacity = 24
    private static let perWord = 12

    /// Code 1... of each letter of the alphabet; other bytes map to 31 (never recorded by the
    /// tracker; read back as `?`).
    private static let alphabet: [UInt8] = Array("^SHADFRCGIQTWshadfrcgiqtw".utf8)

    @inline(__always)
    private static func code(_ letter: UInt8) -> UInt64 {
        switch letter {
        case UInt8(ascii: "^"): 1
        case UInt8(ascii: "S"): 2
        case UInt8(ascii: "H"): 3
        case UInt8(ascii: "A"): 4
        case UInt8(ascii: "D"): 5
        case UInt8(ascii: "F"): 6
        case UInt8(ascii: "R"): 7
        case UInt8(ascii: "C"): 8
        case UInt8(ascii: "G"): 9
        case UInt8(ascii: "I"): 10
        case UInt8(ascii: "Q"): 11
        case UInt8(ascii: "T"): 12
        case UInt8(ascii: "W"): 13
        case UInt8(ascii: "s"): 14
        case UInt8(ascii: "h"): 15
        case UInt8(ascii: "a"): 16
        case UInt8(ascii: "d"): 17
        case UInt8(ascii: "f"): 18
        case UInt8(ascii: "r"): 19
        case UInt8(ascii: "c"): 20
        case UInt8(ascii: "g"): 21
        case UInt8(ascii: "i"): 22
        case UInt8(ascii: "q"): 23
        case UInt8(ascii: "t"): 24
        case UInt8(ascii: "w"): 25
        default: 31
        }
    }

    /// Letters recorded.
    var count: UInt8 {
        if w1 != 0 { return UInt8(Self.perWord + (63 - w1.leadingZeroBitCount) / 5 + 1) }
        if w0 != 0 { return UInt8((63 - w0.leadingZeroBitCount) / 5 + 1) }
        return 0
    }

    @inline(__always)
    mutating func append(_ letter: UInt8) {
        let i = Int(count)
        guard i < Self.capacity else { return }
        let c = Self.code(letter)
        if i < Self.perWord { w0 |= c << UInt64(i * 5) } else { w1 |= c << UInt64((i - Self.perWord) * 5) }
    }

    /// The letter at `i` (< count).
    @inline(__always)
    func letter(at i: Int) -> UInt8 {
        let word = i < Self.perWord ? w0 : w1
        let c = Int(truncatingIfNeeded: (word >> UInt64((i % Self.perWord) * 5)) & 31)
        return c >= 1 && c <= Self.alphabet.count ? Self.alphabet[c - 1] : UInt8(ascii: "?")
    }

    /// The history as text.
    var string: String {
        let n = Int(count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(n)
        for i in 0..<n { bytes.append(letter(at: i)) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Zeek's RSTOS0 test `^\^?S[^HAFGIQ]*R`: the originator sent a SYN, then a RST, with no
    /// handshake, ACK, FIN, gap or odd flags from it in between.
    var matchesRSTOS0: Bool {
        var i = 0
        if count > 0, letter(at: 0) == UInt8(ascii: "^") { i = 1 }
        guard i < Int(count), letter(at: i) == UInt8(ascii: "S") else { return false }
        i += 1
        while i < Int(count) {
            switch letter(at: i) {
            case UInt8(ascii: "R"): return true
            case UInt8(ascii: "H"), UInt8(ascii: "A"), UInt8(ascii: "F"), UInt8(ascii: "G"),
                 UInt8(ascii: "I"), UInt8(ascii: "Q"): return false
            default: i += 1
            }
        }
        return false
    }
}
