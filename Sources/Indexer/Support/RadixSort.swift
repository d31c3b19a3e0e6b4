/// LSD radix sorts used once per segment (or snapshot) to group the `(key, ordinal)` pairs
/// the builder appended in ordinal order. Because the input is already in ordinal order and every
/// pass is stable, sorting by the key alone leaves each key's ordinals ascending, which is exactly
/// a posting list. 16-bit digits; a pass whose digit is the same for every element is skipped (the
/// high half of a port, of an IP protocol...).
enum RadixSort {
    /// Sorts `count` values packed as `key << 32 | ordinal` by their key (the high 32 bits), using
    /// `scratch` (same capacity) as the other buffer; returns whichever of the two holds the result.
    /// Two passes of 16 bits at most (a pass whose digit is constant is skipped): the data is
    /// memory-bound, and fewer, wider passes measured fastest.
    /// `counts` is the caller's reused buffer for the 65,536 counters (a fresh 512 KiB per call
    /// would be fresh pages each time).
    static func sortPackedByKey(_ values: UnsafeMutablePointer<UInt64>, count n: Int,
                                scratch: UnsafeMutablePointer<UInt64>, counts countBuffer: ScratchBuffer<Int>) -> UnsafeMutablePointer<UInt64> {
        if n < 256 {
            var buffer = UnsafeMutableBufferPointer(start: values, count: n)
            buffer.sort()  // the same order: ordinals ascend within a key
            return values
        }
        return passes(values, scratch, count: n, shifts: [32, 48], counts: countBuffer.reserve(1 << 16)) { v, shift in
            Int((v &>> shift) & 0xFFFF)
        }
    }

    /// Sorts `count` 64-bit-key pairs by key, stably (ordinals stay ascending within a key), using
    /// `scratch` as the other buffer; returns whichever of the two holds the result.
    static func sortByKey(_ values: UnsafeMutablePointer<Pair64>, count n: Int, scratch: UnsafeMutablePointer<Pair64>,
                          counts countBuffer: ScratchBuffer<Int>) -> UnsafeMutablePointer<Pair64> {
        if n < 256 {
            var buffer = UnsafeMutableBufferPointer(start: values, count: n)
            buffer.sort { $0.key != $1.key ? $0.key < $1.key : $0.ordinal < $1.ordinal }
            return values
        }
        return passes(values, scratch, count: n, shifts: [0, 16, 32, 48], counts: countBuffer.reserve(1 << 16)) { v, shift in
            Int((v.key >> shift) & 0xFFFF)
        }
    }

    /// Stable LSD passes of 16-bit digits over `n` values, `values` and `scratch` taking turns as
    /// the output (a pass whose digit is the same for every value is skipped); returns whichever
    /// holds the result. `counts` has room for 65,536 counters.
    @inline(__always)
    private static func passes<T>(_ values: UnsafeMutablePointer<T>, _ scratch: UnsafeMutablePointer<T>, count n: Int,
                                  shifts: [UInt64], counts: UnsafeMutablePointer<Int>,
                                  digit: (T, UInt64) -> Int) -> UnsafeMutablePointer<T> {
        var src = values, dst = scratch
        for shift in shifts {
            counts.initialize(repeating: 0, count: 1 << 16)
            for i in 0..<n { counts[digit(src[i], shift)] &+= 1 }
            if counts[digit(src[0], shift)] == n { continue }
            var sum = 0
            for i in 0..<(1 << 16) {
                let k = counts[i]
                counts[i] = sum
                sum &+= k
            }
            for i in 0..<n {
                let v = src[i]
                let d = digit(v, shift)
                dst[counts[d]] = v
                counts[d] &+= 1
            }
            swap(&src, &dst)
        }
        return src
    }

    /// Sorts 128-bit-key pairs (IPv6 addresses) by key then ordinal. IPv6 is a minority of most
    /// traffic, so a comparison sort is enough here.
    static func sortByKey(_ values: UnsafeMutableBufferPointer<Pair128>) {
        var values = values
        values.sort { a, b in
            if a.hi != b.hi { return a.hi < b.hi }
            if a.lo != b.lo { return a.lo < b.lo }
            return a.ordinal < b.ordinal
        }
    }
}

/// A 64-bit key (MAC address, flow hash) and the ordinal of a packet carrying it.
struct Pair64: BitwiseCopyable {
    var key: UInt64
    var ordinal: UInt32
}

/// A 128-bit key (IPv6 address) and the ordinal of a packet carrying it.
struct Pair128: BitwiseCopyable {
    var hi: UInt64
    var lo: UInt64
    var ordinal: UInt32
}
