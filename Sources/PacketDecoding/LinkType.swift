/// A capture link-layer type (the `LINKTYPE_*` value stored in a pcap or pcapng header).
///
/// Only the constants below are decoded; any other value makes ``PacketDecoder`` report
/// ``DecodeAnomaly/unsupportedLink`` instead of guessing.
public struct LinkType: RawRepresentable, Sendable, Hashable {
    /// The `LINKTYPE_*` number.
    public var rawValue: UInt32

    /// Creates a link type from its `LINKTYPE_*` number.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `LINKTYPE_NULL` (0): BSD loopback, a 4-byte address family in the *capturing host's* byte order.
    public static let null = LinkType(rawValue: 0)
    /// `LINKTYPE_ETHERNET` (1): Ethernet II / 802.3, optionally VLAN-tagged.
    public static let ethernet = LinkType(rawValue: 1)
    /// `DLT_RAW` as numbered on some BSDs (12): raw IPv4 or IPv6, version taken from the first nibble.
    public static let rawAlt12 = LinkType(rawValue: 12)
    /// `DLT_RAW` as numbered on OpenBSD (14): raw IPv4 or IPv6.
    public static let rawAlt14 = LinkType(rawValue: 14)
    /// `LINKTYPE_RAW` (101): raw IPv4 or IPv6, version taken from the first nibble.
    public static let raw = LinkType(rawValue: 101)
    /// `LINKTYPE_LOOP` (108): OpenBSD loopback, a 4-byte address family in network byte order.
    public static let loop = LinkType(rawValue: 108)
    /// `LINKTYPE_FDDI` (10): FDDI (13-byte MAC header), then 802.2 LLC/SNAP.
    public static let fddi = LinkType(rawValue: 10)
    /// `LINKTYPE_IEEE802_11` (105): 802.11 frames without a radio header; data frames carry LLC/SNAP.
    public static let ieee80211 = LinkType(rawValue: 105)
    /// `LINKTYPE_IEEE802_11_RADIOTAP` (127): a radiotap header, then an 802.11 frame.
    public static let radiotap = LinkType(rawValue: 127)
    /// `LINKTYPE_LINUX_SLL` (113): Linux "cooked" capture v1, 16-byte header.
    public static let linuxSLL = LinkType(rawValue: 113)
    /// `LINKTYPE_IPV4` (228): raw IPv4 only.
    public static let ipv4 = LinkType(rawValue: 228)
    /// `LINKTYPE_IPV6` (229): raw IPv6 only.
    public static let ipv6 = LinkType(rawValue: 229)
    /// `LINKTYPE_LINUX_SLL2` (276): Linux "cooked" capture v2, 20-byte header.
    public static let linuxSLL2 = LinkType(rawValue: 276)
    /// `LINKTYPE_NFLOG` (239): Linux netfilter log messages: a 4-byte header (address family,
    /// version, resource id), then attributes in the capturing host's byte order, one of which
    /// (`NFULA_PAYLOAD`) holds the IPv4 or IPv6 packet.
    public static let nflog = LinkType(rawValue: 239)
    /// `LINKTYPE_IPOIB` (242): IP over InfiniBand (RFC 4391) as Linux captures it: a 44-byte header
    /// whose EtherType sits at offset 40.
    public static let ipoib = LinkType(rawValue: 242)
    /// `LINKTYPE_DSA_TAG_BRCM` (281): Ethernet from a Broadcom switch port, with a 4-byte Broadcom
    /// tag between the source MAC and the EtherType.
    public static let broadcomTag = LinkType(rawValue: 281)

    /// Every link type the decoder understands.
    public static let supported: [LinkType] = [
        .null, .ethernet, .rawAlt12, .rawAlt14, .raw, .loop, .linuxSLL, .ipv4, .ipv6, .linuxSLL2,
        .fddi, .ieee80211, .radiotap, .nflog, .ipoib, .broadcomTag,
    ]

    /// Whether ``PacketDecoder`` decodes this link type.
    public var isSupported: Bool {
        switch rawValue {
        case 0, 1, 10, 12, 14, 101, 105, 108, 113, 127, 228, 229, 239, 242, 276, 281: true
        default: false
        }
    }

    /// Whether frames of this type start directly with an IP header (no link header at all).
    var startsWithIP: Bool {
        switch rawValue {
        case 12, 14, 101, 228, 229: true
        default: false
        }
    }
}
