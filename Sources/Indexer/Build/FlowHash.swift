import PacketDecoding

/// The canonical bidirectional flow key: a 64-bit hash of (outer VLAN id, IP protocol, the two
/// (address, port) endpoints in sorted order), so both directions of a connection get the same key.
/// The function is part of index format version 1: indexes written by different processes must
/// agree, so it uses no per-process seed (unlike `Hasher`).
enum FlowHash {
    @inline(__always)
    static func hash(vlan: UInt16, proto: UInt8, _ a: IPAddress, _ aPort: UInt16, _ b: IPAddress, _ bPort: UInt16) -> UInt64 {
        let aFirst = a.high != b.high ? a.high < b.high : a.low != b.low ? a.low < b.low : aPort <= bPort
        let (x, xp, y, yp) = aFirst ? (a, aPort, b, bPort) : (b, bPort, a, aPort)
        var h: UInt64 = 0x6A09_E667_F3BC_C908 ^ (UInt64(vlan) << 8 | UInt64(proto))
        h = mix(h, x.high)
        h = mix(h, x.low)
        h = mix(h, y.high)
        h = mix(h, y.low)
        h = mix(h, UInt64(xp) << 16 | UInt64(yp))
        return finalize(h)
    }

    @inline(__always)
    private static func mix(_ h: UInt64, _ v: UInt64) -> UInt64 {
        var x = (h ^ v) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 29
        return x
    }

    /// SplitMix64's finaliser: full avalanche.
    @inline(__always)
    private static func finalize(_ h: UInt64) -> UInt64 {
        var z = h
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
