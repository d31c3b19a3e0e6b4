/// An IPv6 address as two 64-bit halves (`hi` holds the first eight bytes).
struct IPv6Address: Hashable {
    var hi: UInt64
    var lo: UInt64
}

/// TCP options carried by a segment.
enum TCPOptionSet {
    /// No options (RSTs).
    case empty
    /// NOP, NOP, timestamps: 12 bytes (every segment after the handshake).
    case timestamps
    /// MSS, SACK-permitted, timestamps, NOP, window scale 7: 20 bytes (SYN and SYN/ACK, Linux order).
    case syn

    /// Option bytes.
    var length: Int {
        switch self {
        case .empty: 0
        case .timestamps: 12
        case .syn: 20
        }
    }
}

/// TCP flag bits.
enum TCPFlags {
    static let fin: UInt8 = 0x01
    static let syn: UInt8 = 0x02
    static let rst: UInt8 = 0x04
    static let psh: UInt8 = 0x08
    static let ack: UInt8 = 0x10
}

/// Writers for Ethernet, 802.1Q, IPv4, IPv6, TCP and UDP headers at raw pointers.
///
/// All multi-byte fields are written big-endian with unaligned stores; nothing allocates.
enum Frame {
    static let etherTypeIPv4: UInt16 = 0x0800
    static let etherTypeIPv6: UInt16 = 0x86DD
    static let etherTypeVLAN: UInt16 = 0x8100
    static let protoTCP: UInt8 = 6
    static let protoUDP: UInt8 = 17

    @inline(__always)
    static func put16(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt16) {
        p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inline(__always)
    static func put32(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt32) {
        p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    @inline(__always)
    static func put64(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt64) {
        p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt64.self)
    }

    @inline(__always)
    static func putMAC(_ p: UnsafeMutableRawPointer, _ offset: Int, _ mac: UInt64) {
        put32(p, offset, UInt32(truncatingIfNeeded: mac >> 16))
        put16(p, offset + 4, UInt16(truncatingIfNeeded: mac))
    }

    /// Size of the link-layer header.
    @inline(__always)
    static func linkLength(vlan: UInt16) -> Int { vlan == 0 ? 14 : 18 }

    /// Writes an Ethernet II header, with an 802.1Q tag when `vlan != 0`. Returns its length.
    @inline(__always)
    static func ethernet(_ p: UnsafeMutableRawPointer, dst: UInt64, src: UInt64, vlan: UInt16,
                         etherType: UInt16) -> Int {
        putMAC(p, 0, dst)
        putMAC(p, 6, src)
        if vlan == 0 {
            put16(p, 12, etherType)
            return 14
        }
        put16(p, 12, etherTypeVLAN)
        put16(p, 14, vlan & 0x0FFF)  // PCP 0, DEI 0
        put16(p, 16, etherType)
        return 18
    }

    /// Writes a 20-byte IPv4 header with DF set and a valid header checksum.
    @inline(__always)
    static func ipv4(_ p: UnsafeMutableRawPointer, src: UInt32, dst: UInt32, proto: UInt8,
                     payloadLength: Int, id: UInt16, ttl: UInt8) {
        put32(p, 0, 0x4500_0000 | UInt32(20 + payloadLength))
        put32(p, 4, UInt32(id) << 16 | 0x4000)
        put32(p, 8, UInt32(ttl) << 24 | UInt32(proto) << 16)  // checksum zero for now
        put32(p, 12, src)
        put32(p, 16, dst)
        p.storeBytes(of: InternetChecksum.finish(InternetChecksum.sum(p, 20)), toByteOffset: 10, as: UInt16.self)
    }

    /// Writes a 40-byte IPv6 header.
    @inline(__always)
    static func ipv6(_ p: UnsafeMutableRawPointer, src: IPv6Address, dst: IPv6Address, nextHeader: UInt8,
                     payloadLength: Int, flowLabel: UInt32, hopLimit: UInt8) {
        put32(p, 0, 0x6000_0000 | (flowLabel & 0xF_FFFF))
        put32(p, 4, UInt32(payloadLength) << 16 | UInt32(nextHeader) << 8 | UInt32(hopLimit))
        put64(p, 8, src.hi)
        put64(p, 16, src.lo)
        put64(p, 24, dst.hi)
        put64(p, 32, dst.lo)
    }

    /// Computes and stores the TCP or UDP checksum (pseudo-header included) of the L4
    /// segment at `l4` whose IP header is at `ip`.
    @inline(__always)
    static func l4Checksum(ip: UnsafeMutableRawPointer, isV6: Bool, l4: UnsafeMutableRawPointer,
                           length: Int, proto: UInt8) {
        let checksumOffset = proto == protoTCP ? 16 : 6
        var sum = isV6 ? InternetChecksum.sum(ip + 8, 32) : InternetChecksum.sum(ip + 12, 8)
        sum &+= InternetChecksum.word(UInt16(proto))
        sum &+= InternetChecksum.word(UInt16(truncatingIfNeeded: length))
        sum &+= InternetChecksum.sum(l4, length)
        var c = InternetChecksum.finish(sum)
        if c == 0 && proto == protoUDP { c = 0xFFFF }  // zero means "no checksum" for UDP
        l4.storeBytes(of: c, toByteOffset: checksumOffset, as: UInt16.self)
    }

    /// Writes a TCP header (checksum left zero). Returns the header length.
    @inline(__always)
    static func tcp(_ p: UnsafeMutableRawPointer, srcPort: UInt16, dstPort: UInt16, seq: UInt32, ack: UInt32,
                    flags: UInt8, window: UInt16, options: TCPOptionSet, mss: UInt16,
                    tsval: UInt32, tsecr: UInt32) -> Int {
        let length = 20 + options.length
        put16(p, 0, srcPort)
        put16(p, 2, dstPort)
        put32(p, 4, seq)
        put32(p, 8, flags & TCPFlags.ack != 0 ? ack : 0)
        put16(p, 12, UInt16(length / 4) << 12 | UInt16(flags))
        put16(p, 14, window)
        put32(p, 16, 0)  // checksum, urgent pointer
        switch options {
        case .empty:
            break
        case .timestamps:
            put32(p, 20, 0x0101_080A)
            put32(p, 24, tsval)
            put32(p, 28, tsecr)
        case .syn:
            put32(p, 20, 0x0204_0000 | UInt32(mss))
            put32(p, 24, 0x0402_080A)
            put32(p, 28, tsval)
            put32(p, 32, tsecr)
            put32(p, 36, 0x0103_0307)
        }
        return length
    }

    /// Writes an 8-byte UDP header (checksum left zero).
    @inline(__always)
    static func udp(_ p: UnsafeMutableRawPointer, srcPort: UInt16, dstPort: UInt16, payloadLength: Int) {
        put16(p, 0, srcPort)
        put16(p, 2, dstPort)
        put32(p, 4, UInt32(8 + payloadLength) << 16)
    }
}
