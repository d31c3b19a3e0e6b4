/// Chooses the first four bytes of every encrypted SSH segment.
///
/// Without a key log, Wireshark 4.0 still "decrypts" chacha20-poly1305 SSH traffic with
/// all-zero keys: it XORs the first four bytes of each segment with the ChaCha20 keystream
/// for key 0 and nonce = its per-direction packet counter, and when the result is a
/// plausible length (at most 32 KiB) it reads that many bytes, failing with a malformed
/// packet when they are not there. Random ciphertext hits this about once per 130 000
/// segments. Real ciphertext is just as random, so the generator picks those four bytes so
/// that Wireshark's zero-key view of the length has its top bit set (then it gives up on
/// the segment cleanly); to anyone else they are still uniformly random bits.
enum SSHLengthMask {
    /// Packet counter Wireshark uses for the first encrypted packet in each direction
    /// (KEXINIT, KEX_ECDH_* and NEWKEYS took 0, 1 and 2).
    static let firstSequence: UInt32 = 3

    /// Overwrites the 4 bytes at `p` (random on entry) for Wireshark packet counter `sequence`.
    @inline(__always)
    static func apply(_ p: UnsafeMutableRawPointer, sequence: UInt32) {
        let random = p.loadUnaligned(as: UInt32.self)
        let wanted = (UInt32(bigEndian: random) | 0x8000_0000).bigEndian  // byte 0 >= 0x80
        p.storeBytes(of: wanted ^ keystreamWord(nonce: UInt64(sequence)), as: UInt32.self)
    }

    /// First four keystream bytes (as stored in memory) of original-variant ChaCha20 with
    /// an all-zero 256-bit key, block counter 0 and the 64-bit big-endian `nonce`.
    static func keystreamWord(nonce: UInt64) -> UInt32 {
        let n = nonce.bigEndian  // the nonce is the 8 big-endian bytes of the counter
        var x = SIMD16<UInt32>(0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574,
                               0, 0, 0, 0, 0, 0, 0, 0,
                               0, 0, UInt32(truncatingIfNeeded: n), UInt32(truncatingIfNeeded: n >> 32))
        let initial = x
        @inline(__always) func quarter(_ a: Int, _ b: Int, _ c: Int, _ d: Int) {
            x[a] &+= x[b]; x[d] ^= x[a]; x[d] = x[d] << 16 | x[d] >> 16
            x[c] &+= x[d]; x[b] ^= x[c]; x[b] = x[b] << 12 | x[b] >> 20
            x[a] &+= x[b]; x[d] ^= x[a]; x[d] = x[d] << 8 | x[d] >> 24
            x[c] &+= x[d]; x[b] ^= x[c]; x[b] = x[b] << 7 | x[b] >> 25
        }
        for _ in 0..<10 {
            quarter(0, 4, 8, 12); quarter(1, 5, 9, 13); quarter(2, 6, 10, 14); quarter(3, 7, 11, 15)
            quarter(0, 5, 10, 15); quarter(1, 6, 11, 12); quarter(2, 7, 8, 13); quarter(3, 4, 9, 14)
        }
        return (x[0] &+ initial[0]).littleEndian
    }
}
