/// How BPF (libpcap 1.10) finds the network layer for each link type, which decides where the
/// indexer reads addresses, protocol and ports. The indexer follows BPF rather than the full
/// decoder so that a term selects exactly the packets the tcpdump filter would.
enum LinkFraming: Equatable {
    /// EtherType at 12; 802.1Q/802.1ad/0x9100 tags are seen through (up to two, see
    /// docs/query-language.md).
    case ethernet
    /// Linux cooked v1: protocol at 14, network at 16 (libpcap has no VLAN support here).
    case linuxSLL
    /// Linux cooked v2: protocol at 0, network at 20.
    case linuxSLL2
    /// BSD loopback: a 4-byte address family in the file's byte order (little- or big-endian).
    case null(bigEndian: Bool)
    /// OpenBSD loopback: the family in network byte order.
    case loop
    /// Raw IP: the version nibble chooses IPv4 or IPv6.
    case raw
    /// Raw IPv4 only / raw IPv6 only (no check of the version nibble, as BPF).
    case ipv4Only
    case ipv6Only
    /// FDDI (10), 802.11 (105), radiotap (127): every packet goes through the decoder, which finds
    /// the LLC/SNAP header and the network layer where BPF does (data frames, SNAP EtherType).
    /// NFLOG (239), IPoIB (242) and the Broadcom tag (281) too: libpcap 1.10 filters none of them,
    /// so the decoder's reading (tcpdump's and tshark's dissection) is the reference.
    case decoded
    /// Any other link type: no network fields are indexed (queries on network terms match nothing).
    case unsupported

    init(linkType: UInt32, byteSwapped: Bool) {
        switch linkType {
        case 1: self = .ethernet
        case 113: self = .linuxSLL
        case 276: self = .linuxSLL2
        case 0: self = .null(bigEndian: byteSwapped)
        case 108: self = .loop
        case 12, 14, 101: self = .raw
        case 228: self = .ipv4Only
        case 229: self = .ipv6Only
        case 10, 105, 127, 239, 242, 281: self = .decoded
        default: self = .unsupported
        }
    }
}

@inline(__always)
func loadBE16(_ p: UnsafeRawPointer, _ o: Int) -> UInt16 {
    UInt16(bigEndian: p.loadUnaligned(fromByteOffset: o, as: UInt16.self))
}

@inline(__always)
func loadBE32(_ p: UnsafeRawPointer, _ o: Int) -> UInt32 {
    UInt32(bigEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))
}

@inline(__always)
func loadBE64(_ p: UnsafeRawPointer, _ o: Int) -> UInt64 {
    UInt64(bigEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))
}

@inline(__always)
func isVLANTagType(_ type: UInt16) -> Bool { type == 0x8100 || type == 0x88A8 || type == 0x9100 }
