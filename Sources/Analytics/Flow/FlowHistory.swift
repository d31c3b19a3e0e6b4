/// A Zeek history string kept as bytes in three machine words (24 letters), so recording a
/// letter never allocates; the `String` is made only when a record is emitted. Letters beyond
/// 24 are dropped (Zeek itself caps repeated letters logarithmically, so real histories are
/// short).
struct FlowHistory: Equatable {
    private var w0: UInt64 = 0
    private var w1: UInt64 = 0
    private var w2: UInt64 = 0
    private(set) var count: UInt8 = 0

    static let capacity = 24

    @inline(__always)
    mutating func append(_ letter: UInt8) {
        let i = Int(count)
        guard i < Self.capacity else { return }
        let shift = UInt64((i & 7) * 8)
        switch i >> 3 {
        case 0: w0 |= UInt64(letter) << shift
        case 1: w1 |= UInt64(letter) << shift
        default: w2 |= UInt64(letter) << shift
        }
        count &+= 1
    }

    /// The letter at `i` (< count).
    @inline(__always)
    func letter(at i: Int) -> UInt8 {
        let word = i < 8 ? w0 : (i < 16 ? w1 : w2)
        return UInt8(truncatingIfNeeded: word >> UInt64((i & 7) * 8))
    }

    /// The history as text.
    var string: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(count))
        for i in 0..<Int(count) { bytes.append(letter(at: i)) }
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
