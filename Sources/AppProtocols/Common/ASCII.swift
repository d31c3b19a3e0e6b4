/// ASCII helpers shared by the text protocols; byte-level so nothing allocates.
enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let dot: UInt8 = 0x2E

    /// `b` with A-Z mapped to a-z; every other byte unchanged (names are compared case-insensitively
    /// per RFC 4343 and HTTP field names per RFC 9110 §5.1).
    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    /// RFC 9110 §5.6.2 `tchar`: the characters allowed in a token (method names, field names).
    @inline(__always)
    static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }

    /// Visible characters allowed in a request-target (anything printable but space; obs-text kept
    /// because real clients send raw UTF-8 paths).
    @inline(__always)
    static func isTargetChar(_ b: UInt8) -> Bool { b > 0x20 && b != 0x7F }
}
