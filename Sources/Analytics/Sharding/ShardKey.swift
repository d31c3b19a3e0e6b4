import PacketDecoding

/// Which worker a packet belongs to: a symmetric hash of the **innermost** address pair, so both
/// directions of a flow, every fragment of a datagram (later fragments carry no ports) and every
/// flow between two hosts land on the same worker, whatever the tunnels around them. An ICMP error
/// goes with the flow it quotes (it is counted in that flow). Ports are deliberately left out:
/// with them a fragmented datagram's pieces would be split from its flow.
enum ShardKey {
    @inline(__always)
    static func of(_ p: DecodedPacket) -> UInt64 {
        if (p.transport == .icmp || p.transport == .icmpv6) && p.quoted.isPresent {
            return pair(p.quoted.src, p.quoted.dst)
        }
        return pair(p.src, p.dst)
    }

    /// Symmetric in its arguments (a sum of per-address mixes).
    @inline(__always)
    static func pair(_ a: IPAddress, _ b: IPAddress) -> UInt64 { mix(a) &+ mix(b) }

    @inline(__always)
    static func mix(_ a: IPAddress) -> UInt64 {
        var x = a.high ^ (a.low &* 0x9E37_79B9_7F4A_7C15)
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }

    /// The worker of `key` among `count` (multiply-shift: no division per packet).
    @inline(__always)
    static func worker(_ key: UInt64, count: Int) -> Int {
        Int(truncatingIfNeeded: ((key >> 32) &* UInt64(count)) >> 32)
    }
}
