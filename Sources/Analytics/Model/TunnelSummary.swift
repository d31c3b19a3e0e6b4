import PacketDecoding

/// The tenant a flow or service belongs to: an encapsulation kind and its identity (VXLAN or Geneve
/// VNI, GRE key, ...), chosen by ``TunnelAnalyticsConfig``. Overlapping tenant address spaces stay
/// apart because the tenant is part of the flow key and of the ``ServiceKey``.
///
/// One `UInt64` (`(kind.rawValue + 1) << 32 | id`, 0 = no tenant) so it costs the flow key eight
/// bytes and hashes as one word.
public struct TenantKey: Sendable, Hashable, Comparable {
    /// `(kind.rawValue + 1) << 32 | id`; 0 for traffic without a tenant.
    public var rawValue: UInt64

    /// No tenant (untunnelled traffic, or tunnels whose identity does not separate tenants).
    public static let none = TenantKey(rawValue: 0)

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(kind: EncapsulationKind, id: UInt32) {
        rawValue = (UInt64(kind.rawValue) + 1) << 32 | UInt64(id)
    }

    /// Whether this is a tenant (not ``none``).
    @inlinable public var isTenant: Bool { rawValue != 0 }

    /// The encapsulation whose identity names the tenant; nil for ``none``.
    public var kind: EncapsulationKind? {
        rawValue == 0 ? nil : EncapsulationKind(rawValue: UInt8(truncatingIfNeeded: (rawValue >> 32) - 1))
    }

    /// The identity (VNI, key, ...).
    public var id: UInt32 { UInt32(truncatingIfNeeded: rawValue) }

    /// `kind:id`, e.g. `vxlan:100`: the tenant prefix of service ids and the `tunnel.tenant` member
    /// of records; empty for ``none``.
    public var name: String {
        guard let kind else { return "" }
        return "\(kind.name):\(id)"
    }

    /// Parses ``name`` (`vxlan:100`); nil for anything else.
    public init?(name: some StringProtocol) {
        guard let colon = name.firstIndex(of: ":"),
              let kind = EncapsulationKind.allCases.first(where: { $0.name == name[..<colon] }),
              TunnelAnalyticsConfig.tenantCapable.contains(kind),
              let id = UInt32(name[name.index(after: colon)...]) else { return nil }
        self.init(kind: kind, id: id)
    }

    public static func < (a: TenantKey, b: TenantKey) -> Bool { a.rawValue < b.rawValue }
}

/// The tunnel a flow's first packet came through, as records carry it (the `tunnel` object of
/// `conn`, `txn`, `edge`, `service_state` and `service_seen` records): the type and identity of the
/// innermost encapsulation that has one, the outermost IP endpoints oriented like the record
/// (``outerSrc`` on the originator's / client's side), and the tenant.
///
/// A plain value (no references): the flow table keeps one per tunnelled flow in a side pool and
/// formats it only when a record is written.
public struct TunnelSummary: Sendable, Hashable {
    /// The innermost encapsulation with an identity (``TunnelInfo/innermost``): the record's `type`.
    public var kind: EncapsulationKind
    /// Every encapsulation walked (VLAN tags included).
    public var layers: EncapsulationSet
    /// The identity of ``kind`` (VNI, GRE key, ERSPAN session, TEID, bottom MPLS label, PPPoE
    /// session), valid when ``hasID``.
    public var id: UInt32
    public var hasID: Bool
    /// Whether the outer IP fields are valid (an IP-level tunnel was walked; false for an MPLS
    /// pseudowire or for a PPPoE / MPLS tenant without one).
    public var hasOuter: Bool
    /// Outer addresses (and UDP ports for VXLAN, Geneve, GTP-U; 0 otherwise), oriented like the
    /// record: `outerSrc` is the outer address on the originator's side.
    public var outerSrc: IPAddress
    public var outerDst: IPAddress
    public var outerSrcPort: UInt16
    public var outerDstPort: UInt16
    /// IP protocol of the outer packet (17 UDP tunnels, 47 GRE, 4 / 41 IP-in-IP).
    public var outerIPProtocol: UInt8
    /// The tenant the flow was keyed with (``TenantKey/none`` when the tunnel does not separate
    /// tenants).
    public var tenant: TenantKey

    public init(kind: EncapsulationKind, layers: EncapsulationSet = EncapsulationSet(), id: UInt32 = 0, hasID: Bool = false,
                hasOuter: Bool = false, outerSrc: IPAddress = .zero, outerDst: IPAddress = .zero,
                outerSrcPort: UInt16 = 0, outerDstPort: UInt16 = 0, outerIPProtocol: UInt8 = 0,
                tenant: TenantKey = .none) {
        self.kind = kind
        self.layers = layers
        self.id = id
        self.hasID = hasID
        self.hasOuter = hasOuter
        self.outerSrc = outerSrc
        self.outerDst = outerDst
        self.outerSrcPort = outerSrcPort
        self.outerDstPort = outerDstPort
        self.outerIPProtocol = outerIPProtocol
        self.tenant = tenant
    }

    /// The same tunnel seen from the other side (outer source and destination swapped).
    public var reversed: TunnelSummary {
        var r = self
        swap(&r.outerSrc, &r.outerDst)
        swap(&r.outerSrcPort, &r.outerDstPort)
        return r
    }

    /// The names of ``layers`` in ``EncapsulationKind`` order (`["vlan", "vxlan"]`).
    public var layerNames: [String] {
        EncapsulationKind.allCases.filter { layers.contains($0) }.map(\.name)
    }
}
