/// One kind of encapsulation the decoder walks through.
///
/// The raw values are stable: the index stores them (`tunnel` network keys) and records name them.
public enum EncapsulationKind: UInt8, Sendable, Hashable, CaseIterable {
    case vlan = 0
    case mpls = 1
    case pppoe = 2
    /// 802.2 LLC/SNAP carrying an EtherType (802.3 length frames, FDDI, 802.11).
    case llcSNAP = 3
    /// GRE (RFC 2784/2890), version 0, carrying IP, Ethernet (0x6558) or MPLS.
    case gre = 4
    /// ERSPAN type I, II or III inside GRE.
    case erspan = 5
    /// VXLAN (RFC 7348), UDP destination port 4789.
    case vxlan = 6
    /// Geneve (RFC 8926), UDP destination port 6081.
    case geneve = 7
    /// GTP-U (3GPP TS 29.281) G-PDU, UDP destination port 2152.
    case gtpU = 8
    /// IPv4 or IPv6 carried directly in IPv4 or IPv6 (protocol 4 or 41).
    case ipInIP = 9
    /// An Ethernet pseudowire inside MPLS (with or without a control word).
    case mplsPseudowire = 10

    /// The name used in records and documentation.
    public var name: String {
        switch self {
        case .vlan: "vlan"
        case .mpls: "mpls"
        case .pppoe: "pppoe"
        case .llcSNAP: "llc"
        case .gre: "gre"
        case .erspan: "erspan"
        case .vxlan: "vxlan"
        case .geneve: "geneve"
        case .gtpU: "gtp"
        case .ipInIP: "ipip"
        case .mplsPseudowire: "mpls-pw"
        }
    }

    /// Whether this layer puts a new IP packet inside an outer IP packet (an IP-level tunnel).
    @inlinable public var isIPTunnel: Bool {
        switch self {
        case .gre, .erspan, .vxlan, .geneve, .gtpU, .ipInIP: true
        default: false
        }
    }
}

/// A set of ``EncapsulationKind``s (every layer walked, at any depth).
public struct EncapsulationSet: OptionSet, Sendable, Hashable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ kind: EncapsulationKind) { rawValue = 1 << UInt16(kind.rawValue) }

    // Inlinable: the flow tracker and the index builder test these per tunnelled packet.
    @inlinable public func contains(_ kind: EncapsulationKind) -> Bool { rawValue & (1 << UInt16(kind.rawValue)) != 0 }
    @inlinable public mutating func insert(_ kind: EncapsulationKind) { rawValue |= 1 << UInt16(kind.rawValue) }
}

/// Up to four 32-bit identifiers in the order they were met (outermost first): VLAN ids, MPLS labels.
/// A fixed-size value so decoding never allocates; ``count`` keeps counting past four.
public struct IdentifierStack: Sendable, Equatable {
    /// How many identifiers were met (may exceed the four stored).
    public private(set) var count: UInt8 = 0
    @usableFromInline var first: UInt32 = 0
    @usableFromInline var second: UInt32 = 0
    @usableFromInline var third: UInt32 = 0
    @usableFromInline var fourth: UInt32 = 0

    /// The number of identifiers stored: `min(count, 4)`.
    public static let capacity = 4

    public init() {}

    /// Appends `value`; past four only ``count`` grows.
    @inline(__always)
    public mutating func append(_ value: UInt32) {
        switch count {
        case 0: first = value
        case 1: second = value
        case 2: third = value
        case 3: fourth = value
        default: break
        }
        if count < .max { count += 1 }
    }

    /// The stored identifiers, outermost first.
    @inlinable public var stored: Int { min(Int(count), Self.capacity) }

    /// The identifier at `index` (< ``stored``), or 0.
    @inlinable public subscript(index: Int) -> UInt32 {
        switch index {
        case 0: first
        case 1: second
        case 2: third
        case 3: fourth
        default: 0
        }
    }
}

/// What the decoder found around the innermost packet: the encapsulations walked, their identities,
/// and the outermost IP layer. All zero for a packet without encapsulation.
///
/// ``DecodedPacket``'s network and transport fields always describe the **innermost** packet
/// decoded; this value keeps what a tunnel hides: the outer endpoints (valid when ``depth`` > 0) and
/// each encapsulation's identity (the innermost occurrence when a kind repeats).
public struct TunnelInfo: Sendable, Equatable {
    /// Every encapsulation walked, at any depth.
    public var layers = EncapsulationSet()
    /// IP-level tunnels walked (GRE, ERSPAN, VXLAN, Geneve, GTP-U, IP-in-IP). The outer fields are
    /// valid when this is above zero. Bounded by ``PacketDecoder/maxTunnelDepth``.
    public var depth: UInt8 = 0
    /// Nested frames entered (IP-level tunnels plus MPLS pseudowires); bounded by
    /// ``PacketDecoder/maxTunnelDepth``.
    public var nesting: UInt8 = 0
    /// The innermost encapsulation that carries an identity (what records name as the tunnel type).
    public var innermost: EncapsulationKind? = nil

    // MARK: The outermost IP layer (valid when `depth > 0`)
    public var outerNetwork: NetworkLayer = .none
    public var outerSrc: IPAddress = .zero
    public var outerDst: IPAddress = .zero
    public var outerIPProtocol: UInt8 = 0
    /// Outer UDP ports for UDP tunnels (VXLAN, Geneve, GTP-U); 0 for GRE and IP-in-IP.
    public var outerSrcPort: UInt16 = 0
    public var outerDstPort: UInt16 = 0
    /// Offset of the outermost IP header in the decoded buffer.
    public var outerNetworkOffset: Int = 0

    // MARK: Identities
    /// VXLAN network identifier (24 bits); valid when `layers` contains `.vxlan`.
    public var vxlanVNI: UInt32 = 0
    /// Geneve virtual network identifier (24 bits); valid when `layers` contains `.geneve`.
    public var geneveVNI: UInt32 = 0
    /// GRE key; valid when ``hasGREKey``.
    public var greKey: UInt32 = 0
    public var hasGREKey = false
    /// ERSPAN session id (10 bits; type II and III) and version (1 = type I, 2 = type II, 3 = type III).
    public var erspanSession: UInt16 = 0
    public var erspanType: UInt8 = 0
    /// GTP-U tunnel endpoint identifier.
    public var gtpTEID: UInt32 = 0
    /// PPPoE session id.
    public var pppoeSession: UInt16 = 0
    /// MPLS labels (20 bits each), outermost first, across every label stack walked.
    public var mplsLabels = IdentifierStack()
    /// VLAN ids (12 bits each) of every tag at every depth, outermost first. (``DecodedPacket``'s
    /// `outerVLAN`/`innerVLAN` describe the innermost frame's tags only.)
    public var vlanIDs = IdentifierStack()

    public init() {}

    /// Whether the packet went through at least one IP-level tunnel.
    @inlinable public var isTunnelled: Bool { depth > 0 }

    /// The identity of ``innermost`` as a number (VNI, key, session, TEID, bottom MPLS label), if it
    /// has one.
    public var innermostID: UInt32? {
        switch innermost {
        case .vxlan: vxlanVNI
        case .geneve: geneveVNI
        case .gre: hasGREKey ? greKey : nil
        case .erspan: erspanType >= 2 ? UInt32(erspanSession) : nil
        case .gtpU: gtpTEID
        case .pppoe: UInt32(pppoeSession)
        case .mpls, .mplsPseudowire: mplsLabels.stored > 0 ? mplsLabels[mplsLabels.stored - 1] : nil
        default: nil
        }
    }
}
