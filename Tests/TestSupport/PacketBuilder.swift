import PacketDecoding

/// Builds wire-format test packets byte by byte. Checksums are left zero: the decoder never checks
/// them (that is a capture-validation concern, not a decoding one).
public enum Build {
    public static let macA: [UInt8] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]
    public static let macB: [UInt8] = [0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB]

    public static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    public static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    public static func le32(_ v: UInt32) -> [UInt8] { be32(v).reversed() }

    public static func address(_ text: String) -> [UInt8] {
        guard let a = IPAddress(text) else { fatalError("bad test address \(text)") }
        return a.isIPv4 ? Array(a.bytes[12...]) : a.bytes
    }

    // MARK: Link layers

    /// Ethernet header; `tags` are (TPID, VLAN id) pairs, outermost first.
    public static func ethernet(type: UInt16, tags: [(UInt16, UInt16)] = [], dst: [UInt8] = macA, src: [UInt8] = macB) -> [UInt8] {
        var b = dst + src
        for (tpid, vid) in tags { b += be16(tpid) + be16(0x2000 | vid) }  // PCP 1 to check it is masked off
        return b + be16(type)
    }

    /// Linux cooked v1 header carrying `protocol`.
    public static func sll(protocol type: UInt16) -> [UInt8] {
        be16(0) + be16(1) + be16(6) + macB + [0, 0] + be16(type)
    }

    /// Linux cooked v2 header carrying `protocol`.
    public static func sll2(protocol type: UInt16) -> [UInt8] {
        be16(type) + be16(0) + be32(3) + be16(1) + [0, 6] + macB + [0, 0]
    }

    /// One NFLOG attribute (netlink TLV): length (header included) and type in the capturing host's
    /// byte order, the value, then zero padding to a multiple of 4.
    public static func nflogAttribute(type: UInt16, value: [UInt8], littleEndian: Bool = true) -> [UInt8] {
        let length = UInt16(4 + value.count)
        let header = littleEndian ? Array(be16(length).reversed()) + be16(type).reversed() : be16(length) + be16(type)
        return header + value + [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
    }

    /// An NFLOG message as the kernel writes it: header (family, version 0, resource id 42), the
    /// NFULA_PACKET_HDR (1) and NFULA_PREFIX (10) attributes, then NFULA_PAYLOAD (9) holding `packet`.
    public static func nflog(family: UInt8, packet: [UInt8], littleEndian: Bool = true) -> [UInt8] {
        [family, 0] + be16(42)
            + nflogAttribute(type: 1, value: be16(0x0800) + [3, 0], littleEndian: littleEndian)
            + nflogAttribute(type: 10, value: Array("vigie".utf8) + [0], littleEndian: littleEndian)
            + nflogAttribute(type: 9, value: packet, littleEndian: littleEndian)
    }

    /// The 44-byte IPoIB header Linux captures: 20 skipped bytes, the destination hardware address
    /// (queue pair number and GID), then the EtherType and 2 reserved bytes.
    public static func ipoib(type: UInt16) -> [UInt8] {
        [UInt8](repeating: 0, count: 20) + be32(0x8000_0550) + address("fe80::10:e000:664a:b451") + be16(type) + [0, 0]
    }

    /// Ethernet with a Broadcom switch tag (4 bytes, here an egress tag from port 1) after the source MAC.
    public static func broadcomTagged(type: UInt16, tags: [(UInt16, UInt16)] = []) -> [UInt8] {
        let ethernet = ethernet(type: type, tags: tags)
        return Array(ethernet[0..<12]) + [0x00, 0x00, 0x20, 0x01] + ethernet[12...]
    }

    // MARK: Network layers

    public static func ipv4(
        src: String = "192.0.2.1", dst: String = "198.51.100.2", proto: UInt8, payload: [UInt8],
        ttl: UInt8 = 64, id: UInt16 = 0x1234, dontFragment: Bool = false, moreFragments: Bool = false,
        fragmentOffset: Int = 0, options: [UInt8] = [], totalLength: Int? = nil, ihl: Int? = nil
    ) -> [UInt8] {
        let headerLength = 20 + options.count
        let total = totalLength ?? headerLength + payload.count
        let flags: UInt16 = (dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0) | UInt16(fragmentOffset / 8)
        var b: [UInt8] = [UInt8(0x40 | (ihl ?? headerLength / 4)), 0]
        b += be16(UInt16(total)) + be16(id) + be16(flags) + [ttl, proto, 0, 0]
        b += address(src) + address(dst) + options
        return b + payload
    }

    public static func ipv6(
        src: String = "2001:db8::1", dst: String = "2001:db8::2", next: UInt8, payload: [UInt8],
        hopLimit: UInt8 = 63, payloadLength: Int? = nil
    ) -> [UInt8] {
        var b: [UInt8] = [0x60, 0, 0, 0]
        b += be16(UInt16(payloadLength ?? payload.count)) + [next, hopLimit]
        return b + address(src) + address(dst) + payload
    }

    /// A generic IPv6 extension header (hop-by-hop, routing, destination options) of `units` × 8 bytes.
    public static func ext6(next: UInt8, units: Int = 1) -> [UInt8] {
        [next, UInt8(units - 1)] + [UInt8](repeating: 0, count: units * 8 - 2)
    }

    /// An IPv6 Fragment header.
    public static func frag6(next: UInt8, offset: Int, more: Bool, id: UInt32) -> [UInt8] {
        [next, 0] + be16(UInt16(offset) & 0xFFF8 | (more ? 1 : 0)) + be32(id)
    }

    /// An Authentication Header with a 12-byte ICV (24 bytes total).
    public static func ah(next: UInt8) -> [UInt8] {
        [next, 4, 0, 0] + be32(0x100) + be32(1) + [UInt8](repeating: 0xAB, count: 12)
    }

    // MARK: Transport layers

    public static func tcp(
        src: UInt16 = 40000, dst: UInt16 = 80, seq: UInt32 = 1000, ack: UInt32 = 2000, flags: UInt16 = 0x018,
        window: UInt16 = 65535, options: [UInt8] = [], payload: [UInt8] = [], dataOffset: Int? = nil
    ) -> [UInt8] {
        let words = dataOffset ?? (20 + options.count) / 4
        return be16(src) + be16(dst) + be32(seq) + be32(ack) + be16(UInt16(words) << 12 | flags)
            + be16(window) + [0, 0, 0, 0] + options + payload
    }

    public static func udp(src: UInt16 = 5353, dst: UInt16 = 53, payload: [UInt8] = [], length: Int? = nil) -> [UInt8] {
        be16(src) + be16(dst) + be16(UInt16(length ?? 8 + payload.count)) + [0, 0] + payload
    }

    public static func sctp(src: UInt16 = 2905, dst: UInt16 = 2906, payload: [UInt8] = []) -> [UInt8] {
        be16(src) + be16(dst) + be32(0xDEADBEEF) + be32(0) + payload
    }

    public static func icmp(type: UInt8, code: UInt8 = 0, rest: [UInt8] = [0, 0, 0, 0], payload: [UInt8] = []) -> [UInt8] {
        [type, code, 0, 0] + rest + payload
    }

    /// Pads a frame to the 60-byte Ethernet minimum, as NICs do.
    public static func padded(_ frame: [UInt8]) -> [UInt8] {
        frame.count >= 60 ? frame : frame + [UInt8](repeating: 0, count: 60 - frame.count)
    }
}

/// Decodes an array through the public API.
public func decode(_ bytes: [UInt8], _ linkType: LinkType = .ethernet) -> DecodedPacket {
    bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: linkType) }
}

/// An IPv4-mapped or IPv6 address from text, for expectations.
public func ip(_ text: String) -> IPAddress {
    guard let a = IPAddress(text) else { fatalError("bad test address \(text)") }
    return a
}
