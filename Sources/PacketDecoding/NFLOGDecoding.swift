// Linux NFLOG (LINKTYPE_NFLOG, 239): what libpcap captures on an "nflog:GROUP" device, the packets
// an iptables/nftables NFLOG rule logs.
//
// Layout (tcpdump.org's LINKTYPE_NFLOG page, libpcap's pcap/nflog.h): a 4-byte `nfgenmsg` header —
// address family (AF_INET 2, AF_INET6 10), version 0, resource id (the log group, big-endian) —
// then netlink attributes. Each attribute is a 2-byte length that counts its own 4-byte header, a
// 2-byte type, the value, and padding to a multiple of 4. Length and type are in the byte order of
// the host that captured: libpcap converts them to the *reading* host's order when it reads a file,
// while a reader that hands the bytes over as written (PcapFormat) keeps the writer's, so the
// decoder works the order out per packet. The attribute NFULA_PAYLOAD (9) holds the logged IPv4 or
// IPv6 packet, without any link header.

extension PacketDecoder {
    /// NFULA_PAYLOAD: the attribute whose value is the logged packet.
    static let nflogPayloadType: UInt16 = 9

    /// Most attributes walked before NFULA_PAYLOAD. The kernel writes each of its ~20 attribute
    /// kinds at most once, payload last; the cap bounds the work a hostile message made of nothing
    /// but tiny attributes can cause.
    static let maxNFLOGAttributes = 32

    /// NFLOG: the header, then the attributes up to NFULA_PAYLOAD, whose value is decoded as the
    /// header's address family says. Attributes that end without a payload attribute are a cut
    /// message (`truncatedLink`): libpcap always asks the kernel for the packet (copy mode
    /// NFULNL_COPY_PACKET), so only a snap length or a damaged record leaves it out.
    static func decodeNFLOG(_ p: PacketBytes, _ out: inout DecodedPacket) {
        guard p.has(0, 4) else {
            out.anomaly = .truncatedLink
            return
        }
        // tcpdump too refuses any other version: the layout after the header would be unknown.
        guard p.u8(1) == 0 else {
            out.anomaly = .badLinkHeader
            return
        }
        let littleEndian = nflogAttributesAreLittleEndian(p)
        var offset = 4
        for _ in 0..<maxNFLOGAttributes {
            guard p.has(offset, 4) else {
                out.anomaly = .truncatedLink
                return
            }
            let length = Int(nflogField(p, offset, littleEndian: littleEndian))
            // The kernel's NLA_TYPE_MASK: the top two bits are the nested and byte-order flags.
            let type = nflogField(p, offset + 2, littleEndian: littleEndian) & 0x3FFF
            // Shorter than its own header: a zero length would never advance the walk.
            guard length >= 4 else {
                out.anomaly = .badLinkHeader
                return
            }
            if type == nflogPayloadType {
                // The value ends where the attribute says (a snaplen cut shortens it further), so
                // the padding after it is never taken for the packet's bytes.
                decodeNFLOGPayload(p.limited(to: offset + length), family: p.u8(0), at: offset + 4, &out)
                return
            }
            // The kernel pads every attribute, so one whose value or padding runs past the capture
            // was cut short. `length` is below 65,536: no overflow.
            let next = offset + ((length + 3) & ~3)
            guard next <= p.count else {
                out.anomaly = .truncatedLink
                return
            }
            offset = next
        }
        out.anomaly = .badLinkHeader
    }

    /// The logged packet: IPv4 for AF_INET, IPv6 for AF_INET6 (Linux's 10), opaque for any other
    /// family (bridge, ARP), as tcpdump and Wireshark treat them.
    private static func decodeNFLOGPayload(_ p: PacketBytes, family: UInt8, at offset: Int, _ out: inout DecodedPacket) {
        switch family {
        case 2: decodeIPv4(p, at: offset, &out)
        case 10: decodeIPv6(p, at: offset, &out)
        default:
            out.network = .other
            out.networkOffset = offset
            opaquePayload(p, from: offset, &out)
        }
    }

    /// The attributes' byte order, judged from the first attribute's type. Every NFULA_* type is
    /// below 256 and the kernel writes NFULA_PACKET_HDR (1) first, so a type between 1 and 255 when
    /// read big-endian means big-endian; read the other way it would be a multiple of 256. Anything
    /// else (type 0, no first attribute) is taken as little-endian, the order of the x86 and ARM
    /// hosts that write nearly every capture. Wireshark's NFLOG dissector guessed the same way
    /// before libpcap took to converting the order on reading.
    @inline(__always)
    private static func nflogAttributesAreLittleEndian(_ p: PacketBytes) -> Bool {
        guard p.has(6, 2) else { return true }
        let bigEndianType = p.u16(6) & 0x3FFF
        return bigEndianType == 0 || bigEndianType >= 0x100
    }

    /// A 2-byte attribute length or type in the order found for the packet.
    @inline(__always)
    private static func nflogField(_ p: PacketBytes, _ offset: Int, littleEndian: Bool) -> UInt16 {
        littleEndian ? p.u16(offset).byteSwapped : p.u16(offset)
    }
}
