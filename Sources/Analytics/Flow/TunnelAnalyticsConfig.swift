import PacketDecoding

/// Which tunnel identities separate tenants (docs/flows.md, "Tunnels and tenants"; YAML
/// `analytics.tunnels`).
///
/// A flow of a tunnelled packet is keyed by its **innermost** conversation plus a ``TenantKey``:
/// the identity of the innermost encapsulation whose kind is in ``tenantKeys`` (then, if that one is
/// absent or mirrored, the first present in the order VXLAN, Geneve, GRE, GTP-U, ERSPAN, MPLS,
/// PPPoE). Two tenants using the same private addresses then give two flows, two services.
///
/// Defaults: VXLAN VNI, Geneve VNI and GRE key separate tenants. ERSPAN sessions (a mirror port
/// may send the two directions of a conversation in two sessions), GTP-U TEIDs and MPLS labels
/// (different per direction) and PPPoE sessions do not, unless listed. VNIs in ``mirrorVNIs``
/// carry mirrored traffic (a VXLAN / Geneve mirror session) and never name a tenant; so do GRE keys
/// in ``mirrorGREKeys`` (GRE mirror sessions, e.g. the corpus's `zeek_erspan.pcap`, whose mirror
/// sends each direction with its own key: 0 and 0x02000000).
public struct TunnelAnalyticsConfig: Sendable, Hashable {
    /// The kinds whose identity can name a tenant (what ``tenantKeys`` may contain).
    public static let tenantCapable: [EncapsulationKind] = [.vxlan, .geneve, .gre, .gtpU, .erspan, .mpls, .pppoe]

    /// The names ``tenantCapable`` kinds go by in the configuration (`gtp` for GTP-U).
    public static var tenantKeyNames: [String] { tenantCapable.map(\.name) }

    /// The kind a configuration name stands for (`vxlan`, `geneve`, `gre`, `gtp`, `erspan`, `mpls`,
    /// `pppoe`), if it can name a tenant.
    public static func tenantKind(named name: String) -> EncapsulationKind? {
        tenantCapable.first { $0.name == name }
    }

    /// The names of the configured ``tenantKeys``, in ``tenantCapable`` order.
    public var tenantKeyNames: [String] { Self.tenantCapable.filter { tenantKeys.contains($0) }.map(\.name) }

    /// The default ``tenantKeys``: VXLAN, Geneve, GRE.
    public static let defaultTenantKeys: EncapsulationSet = {
        var s = EncapsulationSet()
        s.insert(.vxlan); s.insert(.geneve); s.insert(.gre)
        return s
    }()

    /// Encapsulations whose identity is part of the flow key. `.mpls` also covers MPLS pseudowires.
    /// Only kinds in ``tenantCapable`` count. Default ``defaultTenantKeys``.
    public var tenantKeys: EncapsulationSet = TunnelAnalyticsConfig.defaultTenantKeys {
        didSet { mask = Self.mask(of: tenantKeys) }
    }
    /// VXLAN / Geneve VNIs carrying mirrored traffic: they never name a tenant. Default none.
    public var mirrorVNIs: [UInt32] = [] {
        didSet { mirrorVNIs = Array(Set(mirrorVNIs)).sorted() }
    }
    /// GRE keys of mirror sessions: they never name a tenant. Default none.
    public var mirrorGREKeys: [UInt32] = [] {
        didSet { mirrorGREKeys = Array(Set(mirrorGREKeys)).sorted() }
    }

    /// ``tenantKeys`` as a bit mask over ``EncapsulationSet/rawValue`` (pseudowires with MPLS).
    private var mask: UInt16 = TunnelAnalyticsConfig.mask(of: TunnelAnalyticsConfig.defaultTenantKeys)

    public init() {}

    public init(tenantKeys: EncapsulationSet, mirrorVNIs: [UInt32] = [], mirrorGREKeys: [UInt32] = []) {
        self.tenantKeys = tenantKeys
        self.mirrorVNIs = Array(Set(mirrorVNIs)).sorted()
        self.mirrorGREKeys = Array(Set(mirrorGREKeys)).sorted()
        mask = Self.mask(of: tenantKeys)
    }

    private static func mask(of keys: EncapsulationSet) -> UInt16 {
        var m = EncapsulationSet()
        for k in tenantCapable where keys.contains(k) { m.insert(k) }
        if keys.contains(.mpls) { m.insert(.mplsPseudowire) }
        return m.rawValue
    }

    /// ``tenantKeys`` as a mask over ``EncapsulationSet/rawValue``: a packet whose layers do not
    /// meet it has no tenant (the flow tracker keeps a copy to test before anything else).
    public var tenantMask: UInt16 { mask }

    /// The tenant of a packet that came through `t`; ``TenantKey/none`` when no configured identity
    /// is present. Allocation-free; untunnelled packets cost one test.
    @inline(__always)
    public func tenant(of t: TunnelInfo) -> TenantKey {
        guard t.layers.rawValue & mask != 0 else { return .none }
        return slowTenant(of: t)
    }

    @inline(never)
    func slowTenant(of t: TunnelInfo) -> TenantKey {
        if let k = t.innermost, let id = identity(k, t) { return TenantKey(kind: k == .mplsPseudowire ? .mpls : k, id: id) }
        // Unrolled (an array literal here would be allocated per packet).
        if let id = identity(.vxlan, t) { return TenantKey(kind: .vxlan, id: id) }
        if let id = identity(.geneve, t) { return TenantKey(kind: .geneve, id: id) }
        if let id = identity(.gre, t) { return TenantKey(kind: .gre, id: id) }
        if let id = identity(.gtpU, t) { return TenantKey(kind: .gtpU, id: id) }
        if let id = identity(.erspan, t) { return TenantKey(kind: .erspan, id: id) }
        if let id = identity(.mpls, t) { return TenantKey(kind: .mpls, id: id) }
        if let id = identity(.pppoe, t) { return TenantKey(kind: .pppoe, id: id) }
        return .none
    }

    /// The identity of kind `k` in `t` if `k` is configured, present, has one and is not a mirror VNI.
    @inline(__always)
    private func identity(_ k: EncapsulationKind, _ t: TunnelInfo) -> UInt32? {
        guard mask & EncapsulationSet(k).rawValue != 0, t.layers.contains(k) else { return nil }
        switch k {
        case .vxlan: return Self.contains(mirrorVNIs, t.vxlanVNI) ? nil : t.vxlanVNI
        case .geneve: return Self.contains(mirrorVNIs, t.geneveVNI) ? nil : t.geneveVNI
        case .gre:
            // The GRE carrying an ERSPAN mirror session belongs to the mirror: its key is no tenant.
            return t.hasGREKey && !t.layers.contains(.erspan) && !Self.contains(mirrorGREKeys, t.greKey) ? t.greKey : nil
        case .erspan: return t.erspanType >= 2 ? UInt32(t.erspanSession) : nil
        case .gtpU: return t.gtpTEID
        case .pppoe: return UInt32(t.pppoeSession)
        case .mpls, .mplsPseudowire: return t.mplsLabels.stored > 0 ? t.mplsLabels[t.mplsLabels.stored - 1] : nil
        default: return nil
        }
    }

    @inline(__always)
    private static func contains(_ sorted: [UInt32], _ value: UInt32) -> Bool {
        guard !sorted.isEmpty else { return false }
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.count && sorted[lo] == value
    }

    /// The record's tunnel of a flow's first packet, or nil when the packet is not tunnelled: no
    /// nested frame (IP-level tunnel or MPLS pseudowire) and no tenant, so VLAN-, MPLS- or
    /// PPPoE-only traffic keeps its records unchanged. `reversed` orients it for a flow whose
    /// originator is the packet's destination.
    static func summary(of t: TunnelInfo, tenant: TenantKey, reversed: Bool) -> TunnelSummary? {
        guard t.nesting > 0 || tenant.isTenant, let kind = t.innermost else { return nil }
        let id = t.innermostID
        var s = TunnelSummary(kind: kind, layers: t.layers, id: id ?? 0, hasID: id != nil, hasOuter: t.depth > 0,
                              tenant: tenant)
        if t.depth > 0 {
            s.outerSrc = t.outerSrc; s.outerDst = t.outerDst
            s.outerSrcPort = t.outerSrcPort; s.outerDstPort = t.outerDstPort
            s.outerIPProtocol = t.outerIPProtocol
        }
        return reversed ? s.reversed : s
    }
}
