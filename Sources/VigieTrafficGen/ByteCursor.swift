import TimeFormat
/// Sequential big-endian writer over raw memory, for templates and message prefixes.
struct ByteCursor {
    let base: UnsafeMutableRawPointer
    var offset = 0

    init(_ base: UnsafeMutableRawPointer) { self.base = base }

    @inline(__always)
    mutating func u8(_ v: UInt8) {
        base.storeBytes(of: v, toByteOffset: offset, as: UInt8.self)
        offset += 1
    }

    @inline(__always)
    mutating func u16(_ v: UInt16) {
        base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self)
        offset += 2
    }

    @inline(__always)
    mutating func u24(_ v: UInt32) {
        u8(UInt8(truncatingIfNeeded: v >> 16))
        u16(UInt16(truncatingIfNeeded: v))
    }

    @inline(__always)
    mutating func u32(_ v: UInt32) {
        base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
        offset += 4
    }

    /// Appends the UTF-8 bytes of a literal (no copy of the literal is made).
    @inline(__always)
    mutating func put(_ s: StaticString) {
        (base + offset).copyMemory(from: s.utf8Start, byteCount: s.utf8CodeUnitCount)
        offset += s.utf8CodeUnitCount
    }

    @inline(__always)
    mutating func put(_ p: UnsafeRawPointer, _ count: Int) {
        (base + offset).copyMemory(from: p, byteCount: count)
        offset += count
    }

    mutating func put(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { put($0.baseAddress!, $0.count) }
    }

    mutating func zeros(_ count: Int) {
        (base + offset).initializeMemory(as: UInt8.self, repeating: 0, count: count)
        offset += count
    }

    /// Appends pseudo-random bytes (see `fillOpaque`).
    mutating func opaque(_ count: Int, salt: UInt64, at position: Int = 0) {
        fillOpaque(base + offset, count: count, salt: salt, offset: position)
        offset += count
    }

    /// Appends `v` in decimal ASCII.
    @inline(__always)
    mutating func decimal(_ v: UInt64) {
        var digits: UInt64 = 1
        var probe = v
        while probe >= 10 { probe /= 10; digits += 1 }
        var rest = v
        var i = Int(digits) - 1
        while i >= 0 {
            base.storeBytes(of: UInt8(48 + rest % 10), toByteOffset: offset + i, as: UInt8.self)
            rest /= 10
            i -= 1
        }
        offset += Int(digits)
    }

    /// Appends two decimal digits.
    @inline(__always)
    mutating func twoDigits(_ v: Int) {
        u8(UInt8(48 + v / 10))
        u8(UInt8(48 + v % 10))
    }

    /// Appends the low `count` bytes of `v` as lowercase hex.
    mutating func hex(_ v: UInt64, count: Int) {
        let table: StaticString = "0123456789abcdef"
        for i in stride(from: count - 1, through: 0, by: -1) {
            let b = UInt8(truncatingIfNeeded: v >> (UInt64(i) * 8))
            u8(table.utf8Start[Int(b >> 4)])
            u8(table.utf8Start[Int(b & 15)])
        }
    }

    /// Overwrites a big-endian 16-bit field written earlier.
    @inline(__always)
    func patch16(at position: Int, _ v: UInt16) {
        base.storeBytes(of: v.bigEndian, toByteOffset: position, as: UInt16.self)
    }

    /// Overwrites a big-endian 24-bit field written earlier.
    @inline(__always)
    func patch24(at position: Int, _ v: UInt32) {
        base.storeBytes(of: UInt8(truncatingIfNeeded: v >> 16), toByteOffset: position, as: UInt8.self)
        patch16(at: position + 1, UInt16(truncatingIfNeeded: v))
    }
}

/// Writes `count` pseudo-random bytes that depend only on `salt` and each byte's `offset`
/// within the stream, so any slice can be regenerated identically (retransmissions).
@inline(__always)
func fillOpaque(_ dst: UnsafeMutableRawPointer, count: Int, salt: UInt64, offset: Int) {
    var pos = offset
    var out = 0
    @inline(__always) func word(_ position: Int) -> UInt64 {
        mix64(salt &+ UInt64(truncatingIfNeeded: position >> 3) &* goldenGamma)
    }
    let head = pos & 7
    if head != 0 && count > 0 {
        let w = word(pos)
        let n = min(8 - head, count)
        for k in 0..<n {
            dst.storeBytes(of: UInt8(truncatingIfNeeded: w >> UInt64(8 * (head + k))), toByteOffset: k, as: UInt8.self)
        }
        out = n
        pos += n
    }
    while out + 8 <= count {
        dst.storeBytes(of: word(pos).littleEndian, toByteOffset: out, as: UInt64.self)
        out += 8
        pos += 8
    }
    if out < count {
        let w = word(pos)
        for k in 0..<(count - out) {
            dst.storeBytes(of: UInt8(truncatingIfNeeded: w >> UInt64(8 * k)), toByteOffset: out + k, as: UInt8.self)
        }
    }
}

/// Civil date helpers (proleptic Gregorian, UTC), after Howard Hinnant's algorithms.
enum CivilTime {
    /// Appends an IMF-fixdate (`Thu, 01 Jan 2026 00:00:00 GMT`, 29 bytes) for HTTP `Date:`.
    static func writeHTTPDate(_ seconds: UInt32, to c: inout ByteCursor) {
        let s = Int(seconds)
        let days = s / 86_400
        let rem = s % 86_400
        let weekdays: StaticString = "ThuFriSatSunMonTueWed"  // 1970-01-01 was a Thursday
        let months: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
        let (year, month, day) = CivilCalendar.civil(fromDays: Int64(days))
        let (y, m, d) = (Int(year), Int(month), Int(day))
        c.put(weekdays.utf8Start + (days % 7) * 3, 3)
        c.put(", ")
        c.twoDigits(d)
        c.u8(32)
        c.put(months.utf8Start + (m - 1) * 3, 3)
        c.u8(32)
        c.decimal(UInt64(y))
        c.u8(32)
        c.twoDigits(rem / 3600)
        c.u8(58)
        c.twoDigits(rem / 60 % 60)
        c.u8(58)
        c.twoDigits(rem % 60)
        c.put(" GMT")
    }
}
