/// What the builder keeps of one packet for the default fields: one fixed 16-byte row, appended
/// once per packet, instead of a `(key, ordinal)` pair per field. The ordinal is the row's index;
/// ``IndexSerializer`` turns the rows into per-field posting lists when the segment is sealed.
/// The packet's offset and time go to the ``RecordLog`` (about 2.5 bytes a packet) rather than
/// into the row: the rows are most of the memory indexing touches, and on this project's virtual
/// machines fresh memory is the dearest part of indexing (Benchmarks/RESULTS.md).
struct PacketRow: BitwiseCopyable {
    var src4: UInt32 = 0
    var dst4: UInt32 = 0
    var srcPort: UInt16 = 0
    var dstPort: UInt16 = 0
    /// IPv4 protocol or IPv6 next header (valid with ``Flags/proto``; the family is `network`'s).
    var proto: UInt8 = 0
    /// A ``RowNetwork`` raw value.
    var network: UInt8 = 0
    /// ``Flags`` raw value: which of the fields above the packet carries.
    var flags: UInt8 = 0
    /// Set by the fast path when the packet may be encapsulated (the slow path then decodes it);
    /// always 0 in a stored row.
    var suspect: UInt8 = 0

    init() {}

    enum Flags {
        /// At least one VLAN tag (network key ``NetworkKey/tagged``).
        static let tagged: UInt8 = 1 << 0
        static let proto: UInt8 = 1 << 1
        static let src4: UInt8 = 1 << 2
        static let dst4: UInt8 = 1 << 3
        static let srcPort: UInt8 = 1 << 4
        static let dstPort: UInt8 = 1 << 5
    }
}

/// The network-layer kinds a row records, each standing for one ``NetworkKey``.
enum RowNetwork: UInt8 {
    case none = 0
    case ipv4, ipv6, arp, rarp, noLinkHeader

    /// The key this kind is indexed under in the network section (nil for `none`).
    static let keys: [UInt16] = [0, NetworkKey.ipv4, NetworkKey.ipv6, NetworkKey.arp, NetworkKey.rarp, NetworkKey.noLinkHeader]
}
