@testable import Indexer
import Testing
import VigieTestSupport

@Suite("Posting list codec")
struct PostingCodecTests {
    static func encode(_ ordinals: [UInt32]) -> [UInt8] {
        var w = ByteWriter()
        ordinals.withUnsafeBufferPointer { PostingCodec.encode($0, into: &w) }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8], count: Int, floor: UInt32 = 0, limit: UInt32 = .max) throws -> [UInt32] {
        try bytes.withUnsafeBytes { raw in
            var out: [UInt32] = []
            try PostingList(bytes: raw, count: count, floor: floor, limit: limit).decode(into: &out)
            return out
        }
    }

    /// A random strictly ascending list of `count` ordinals with gaps up to `maxGap`.
    static func randomList(_ rng: inout SplitMix64, count: Int, maxGap: UInt64) -> [UInt32] {
        var v = UInt32(rng.next(1000))
        var out: [UInt32] = []
        for _ in 0..<count {
            out.append(v)
            v += 1 + UInt32(rng.next(maxGap))
        }
        return out
    }

    @Test("round trip of random lists of every size and density")
    func roundTrip() throws {
        var rng = SplitMix64(seed: 7)
        var kinds: [PostingCodec.Kind: Int] = [:]
        for size in [1, 2, 3, 127, 128, 129, 255, 256, 257, 1000, 5000] {
            for maxGap: UInt64 in [1, 2, 8, 100, 70_000] {
                let list = Self.randomList(&rng, count: size, maxGap: maxGap)
                let bytes = Self.encode(list)
                kinds[PostingCodec.Kind(rawValue: bytes[0])!, default: 0] += 1
                #expect(try Self.decode(bytes, count: size) == list, "size \(size) gap \(maxGap)")
            }
        }
        // All three layouts were exercised.
        #expect(kinds[.small, default: 0] > 0 && kinds[.blocked, default: 0] > 0 && kinds[.bitmap, default: 0] > 0, "\(kinds)")
    }

    @Test("dense lists become bitmaps, long sparse lists get skip tables")
    func layoutChoice() {
        #expect(Self.encode(Array(0..<10_000))[0] == PostingCodec.Kind.bitmap.rawValue)
        #expect(Self.encode(Array(stride(from: 0, to: 1_000_000, by: 1000)))[0] == PostingCodec.Kind.blocked.rawValue)
        #expect(Self.encode([5, 900_000])[0] == PostingCodec.Kind.small.rawValue)
        // A bitmap of 10 000 consecutive ordinals takes ~1.25 KB, not 10 KB of varints.
        #expect(Self.encode(Array(0..<10_000)).count < 1300)
    }

    @Test("cursor seeks agree with a linear search")
    func cursorSeeks() throws {
        var rng = SplitMix64(seed: 11)
        for (size, gap) in [(50, UInt64(5)), (1000, 3), (3000, 400), (20_000, 1), (700, 2)] {
            let list = Self.randomList(&rng, count: size, maxGap: gap)
            let bytes = Self.encode(list)
            try bytes.withUnsafeBytes { raw in
                var cursor = try PostingCursor(PostingList(bytes: raw, count: size, floor: 0, limit: .max))
                var target: UInt32 = 0
                let last = list.last!
                while target <= last + 10 {
                    let expected = list.first { $0 >= target }
                    #expect(try cursor.next(atLeast: target) == expected, "size \(size), target \(target)")
                    target += 1 + UInt32(rng.next(UInt64(gap) * 300 + 1))
                }
            }
        }
    }

    @Test("ordinals outside the index are rejected")
    func bounds() throws {
        let bytes = Self.encode([1, 2, 500])
        #expect(throws: IndexError.self) { try Self.decode(bytes, count: 3, limit: 100) }
        #expect(throws: IndexError.self) { try Self.decode(bytes, count: 3, floor: 2) }
        #expect(throws: IndexError.self) { try Self.decode(bytes, count: 4) }
        #expect(throws: IndexError.self) { try Self.decode(Self.encode(Array(0..<100_000)), count: 100_000, limit: 50_000) }
    }

    @Test("random corruption never crashes the decoder")
    func corruption() {
        var rng = SplitMix64(seed: 99)
        var rejected = 0
        for trial in 0..<3000 {
            let list = Self.randomList(&rng, count: [3, 130, 600, 2000][trial % 4], maxGap: [1, 9, 300][trial % 3])
            var bytes = Self.encode(list)
            for _ in 0..<(1 + Int(rng.next(3))) {
                let i = Int(rng.next(UInt64(bytes.count)))
                bytes[i] ^= UInt8(1 << rng.next(8))
            }
            if rng.next(4) == 0 { bytes.removeLast(Int(rng.next(UInt64(bytes.count)))) }
            do {
                let decoded = try Self.decode(bytes, count: list.count, limit: 1 << 24)
                // Whatever comes out is still a valid posting list.
                #expect(decoded.count == list.count && zip(decoded, decoded.dropFirst()).allSatisfy { $0 < $1 })
            } catch {
                rejected += 1
            }
        }
        #expect(rejected > 1000)
    }

    @Test("varint edge values")
    func varints() {
        for v: UInt32 in [0, 1, 127, 128, 16_383, 16_384, 1 << 21, (1 << 28) - 1, 1 << 28, .max] {
            var w = ByteWriter()
            w.varint(v)
            #expect(w.count == ByteWriter.varintSize(v))
            w.bytes.withUnsafeBytes { raw in
                var at = 0
                #expect(raw.varint(at: &at) == v)
                #expect(at == w.count)
            }
        }
        // Five bytes whose value exceeds 32 bits, and a cut varint, are refused.
        [UInt8]([0xFF, 0xFF, 0xFF, 0xFF, 0x1F]).withUnsafeBytes { raw in
            var at = 0
            #expect(raw.varint(at: &at) == nil)
        }
        [UInt8]([0x80, 0x80]).withUnsafeBytes { raw in
            var at = 0
            #expect(raw.varint(at: &at) == nil)
        }
    }
}
