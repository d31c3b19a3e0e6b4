#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The SplitMix64 finaliser: a cheap, well-mixing 64-bit hash.
///
/// Used to seed the PRNG and as a counter-based generator for payload bytes, so that the
/// bytes at a given offset of a message are the same every time they are written (needed
/// for retransmissions) without storing them.
@inline(__always)
func mix64(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// The golden-ratio increment of SplitMix64.
let goldenGamma: UInt64 = 0x9E37_79B9_7F4A_7C15

/// xoshiro256** (Blackman & Vigna): a small, fast PRNG seeded through SplitMix64.
///
/// Every random decision of the generator comes from one instance, in a fixed order, so a
/// given seed always produces the same capture. The helpers below use only integer and
/// IEEE arithmetic plus `log`/`exp`; they never use the standard library's `random(in:)`
/// algorithms, which are not guaranteed to be stable across Swift releases.
struct Xoshiro256StarStar {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    init(seed: UInt64) {
        var x = seed
        x &+= goldenGamma; let a = mix64(x)
        x &+= goldenGamma; let b = mix64(x)
        x &+= goldenGamma; let c = mix64(x)
        x &+= goldenGamma; let d = mix64(x)
        (s0, s1, s2, s3) = (a, b, c, d | 1)
    }

    /// The next 64 random bits.
    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A value in `0..<n` (multiply-high reduction; the bias is negligible for our ranges).
    @inline(__always)
    mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(n).multipliedFullWidth(by: next()).high)
    }

    /// A value in `range`.
    @inline(__always)
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// A double in `[0, 1)`.
    @inline(__always)
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// True with probability `p`.
    @inline(__always)
    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Log-uniform value in `[lo, hi)`: as many values per decade (good for sizes and delays).
    mutating func logUniform(_ lo: Double, _ hi: Double) -> Double {
        lo * exp(unit() * log(hi / lo))
    }

    /// Log-uniform duration in nanoseconds between `lo` and `hi` microseconds.
    mutating func micros(_ lo: Double, _ hi: Double) -> UInt64 {
        UInt64(logUniform(lo, hi) * 1000)
    }

    /// Log-uniform byte count in `[lo, hi)`.
    mutating func size(_ lo: Double, _ hi: Double) -> UInt32 {
        UInt32(logUniform(lo, hi))
    }

    /// Geometric count `>= 1` with the given mean, capped.
    mutating func geometric(mean: Double, cap: Int) -> Int {
        let p = 1 / mean
        var n = 1
        while n < cap && !chance(p) { n += 1 }
        return n
    }
}
