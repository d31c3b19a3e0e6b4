// IP over InfiniBand (LINKTYPE_IPOIB, 242).

extension PacketDecoder {
    /// Length of the IPoIB header as Linux captures it: 20 bytes that tcpdump and Wireshark skip,
    /// the 20-byte destination hardware address (flags and queue pair number, then the port GID),
    /// then RFC 4391's 4-byte encapsulation header (an EtherType, 2 reserved bytes).
    static let ipoibHeaderLength = 44

    /// IPoIB: the EtherType at offset 40 says what follows the header (IPv4, IPv6, ARP), as
    /// tcpdump's print-ipoib.c reads it; tshark 4.0 agrees on tcpdump's own ipoib.pcap. The
    /// InfiniBand addresses are not MAC addresses and are not decoded.
    static func decodeIPoIB(_ p: PacketBytes, _ out: inout DecodedPacket) {
        guard p.has(0, ipoibHeaderLength) else {
            out.anomaly = .truncatedLink
            return
        }
        decodeEtherType(p, p.u16(ipoibHeaderLength - 4), at: ipoibHeaderLength, &out)
    }
}
