/// Identifies one section of an index file. The raw values are part of the on-disk format.
enum FieldID: UInt16, CaseIterable, Sendable {
    /// Ordinal -> record offset table with per-block time bounds (always present).
    case records = 0
    /// Network-layer kind: the EtherType BPF compares (0x0800, 0x86DD, 0x0806, 0x8035), the VLAN
    /// "tagged" marker, and the "no link header" marker. Always present.
    case network = 1
    /// `family << 8 | protocol`: family 4 or 6.
    case ipProtocol = 2
    case src4 = 3
    case dst4 = 4
    case src6 = 5
    case dst6 = 6
    case srcPort = 7
    case dstPort = 8
    case vlan = 9
    case srcMAC = 10
    case dstMAC = 11
    /// Canonical bidirectional flow hash -> packets.
    case flow = 12
    /// Application names -> flow hashes.
    case dnsQueryName = 13
    case httpHost = 14
    case tlsServerName = 15
    // Tunnels (index format 1.1, field set `tunnels`): written for every packet the decoder finds
    // encapsulated, nothing for the others. Absent from older files (see docs/index-format.md).
    /// ``EncapsulationKey``s: the encapsulations a packet went through, "tunnelled", outer family.
    case encapsulation = 16
    /// The outermost IP layer of a tunnelled packet (depth > 0): addresses, ports, protocol.
    case outerSrc4 = 17
    case outerDst4 = 18
    case outerSrc6 = 19
    case outerDst6 = 20
    case outerSrcPort = 21
    case outerDstPort = 22
    /// `family << 8 | protocol`, like ``ipProtocol``.
    case outerProtocol = 23
    /// `kind << 32 | identifier`: VXLAN/Geneve VNI, GRE key, ERSPAN session, GTP TEID, PPPoE
    /// session, every MPLS label (kind = ``EncapsulationKind`` raw value).
    case tunnelID = 24

    /// Width in bytes of this field's keys on disk (0 for sections without keys).
    var keyWidth: Int {
        switch self {
        case .records, .dnsQueryName, .httpHost, .tlsServerName: 0
        case .network, .ipProtocol, .srcPort, .dstPort, .vlan: 2
        case .encapsulation, .outerSrcPort, .outerDstPort, .outerProtocol: 2
        case .src4, .dst4, .outerSrc4, .outerDst4: 4
        case .srcMAC, .dstMAC, .flow, .tunnelID: 8
        case .src6, .dst6, .outerSrc6, .outerDst6: 16
        }
    }

    /// Whether the section is a key -> posting list field (as opposed to records or names).
    var isPostingField: Bool { keyWidth > 0 }
}

/// Special keys of the ``FieldID/network`` field.
enum NetworkKey {
    static let ipv4: UInt16 = 0x0800
    static let ipv6: UInt16 = 0x86DD
    static let arp: UInt16 = 0x0806
    static let rarp: UInt16 = 0x8035
    /// The packet carries at least one VLAN tag (BPF `vlan` with no id).
    static let tagged: UInt16 = 0xFFFE
    /// The capture is too short to hold the link-layer type field: BPF rejects such a packet for any
    /// filter, so it is left out of the set a `not` complements against.
    static let noLinkHeader: UInt16 = 0xFFFF
}

/// Keys of the ``FieldID/encapsulation`` field.
enum EncapsulationKey {
    /// The packet went through this encapsulation (an ``EncapsulationKind`` raw value, 0-255).
    static func layer(_ kindRawValue: UInt8) -> UInt16 { UInt16(kindRawValue) }
    /// At least one IP-level tunnel: the packet has an outer IP layer distinct from the innermost.
    static let tunnelled: UInt16 = 0x0100
    /// The outermost IP layer (of a tunnelled packet) is IPv4 / IPv6.
    static let outerIPv4: UInt16 = 0x0104
    static let outerIPv6: UInt16 = 0x0106
}

/// A key of up to 128 bits; narrower keys use `lo` only. Ordered numerically.
struct Key128: Comparable, Hashable, Sendable {
    var hi: UInt64
    var lo: UInt64

    init(hi: UInt64 = 0, lo: UInt64) {
        self.hi = hi
        self.lo = lo
    }

    static func < (a: Key128, b: Key128) -> Bool { a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo }

    static let max = Key128(hi: .max, lo: .max)
}
