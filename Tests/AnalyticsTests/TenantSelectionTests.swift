import Testing
import PacketDecoding
@testable import Analytics

/// Which identity names the tenant (docs/flows.md, "Tunnels and tenants").
@Suite struct TenantSelectionTests {
    static func info(_ kinds: [EncapsulationKind], innermost: EncapsulationKind?, _ fill: (inout TunnelInfo) -> Void = { _ in }) -> TunnelInfo {
        var t = TunnelInfo()
        for k in kinds { t.layers.insert(k) }
        t.innermost = innermost
        t.depth = 1
        t.nesting = 1
        fill(&t)
        return t
    }

    @Test func defaults() {
        let c = TunnelAnalyticsConfig()
        #expect(c.tenant(of: TunnelInfo()) == .none)
        #expect(c.tenant(of: Self.info([.vxlan], innermost: .vxlan) { $0.vxlanVNI = 100 }) == TenantKey(kind: .vxlan, id: 100))
        #expect(c.tenant(of: Self.info([.geneve], innermost: .geneve) { $0.geneveVNI = 300 }) == TenantKey(kind: .geneve, id: 300))
        #expect(c.tenant(of: Self.info([.gre], innermost: .gre) { $0.greKey = 7; $0.hasGREKey = true }) == TenantKey(kind: .gre, id: 7))
        // GRE without key, ERSPAN, GTP-U, MPLS, PPPoE, VLAN: no tenant by default.
        #expect(c.tenant(of: Self.info([.gre], innermost: .gre)) == .none)
        #expect(c.tenant(of: Self.info([.gre, .erspan], innermost: .erspan) { $0.erspanType = 2; $0.erspanSession = 1 }) == .none)
        #expect(c.tenant(of: Self.info([.gtpU], innermost: .gtpU) { $0.gtpTEID = 9 }) == .none)
        #expect(c.tenant(of: Self.info([.mpls], innermost: .mpls) { $0.mplsLabels.append(16) }) == .none)
        #expect(c.tenant(of: Self.info([.pppoe, .vlan], innermost: .pppoe) { $0.pppoeSession = 5 }) == .none)
    }

    @Test func innermostFirstThenFallbackOrder() {
        let c = TunnelAnalyticsConfig()
        // VXLAN inside GRE-with-key: the innermost (VXLAN) names the tenant.
        let nested = Self.info([.gre, .vxlan], innermost: .vxlan) { $0.greKey = 5; $0.hasGREKey = true; $0.vxlanVNI = 100 }
        #expect(c.tenant(of: nested) == TenantKey(kind: .vxlan, id: 100))
        // ERSPAN in GRE with a key: the key belongs to the mirror session, no tenant.
        let mirror = Self.info([.gre, .erspan], innermost: .erspan) { $0.greKey = 5; $0.hasGREKey = true; $0.erspanType = 2 }
        #expect(c.tenant(of: mirror) == .none)
        // GTP-U (not a key) inside GRE with a key: the GRE key.
        let gtp = Self.info([.gre, .gtpU], innermost: .gtpU) { $0.greKey = 5; $0.hasGREKey = true; $0.gtpTEID = 9 }
        #expect(c.tenant(of: gtp) == TenantKey(kind: .gre, id: 5))
    }

    @Test func mirrorsAndOptIns() {
        var c = TunnelAnalyticsConfig()
        c.mirrorVNIs = [100, 100, 7]
        #expect(c.mirrorVNIs == [7, 100])
        #expect(c.tenant(of: Self.info([.vxlan], innermost: .vxlan) { $0.vxlanVNI = 100 }) == .none)
        #expect(c.tenant(of: Self.info([.vxlan], innermost: .vxlan) { $0.vxlanVNI = 101 }) == TenantKey(kind: .vxlan, id: 101))
        c.mirrorGREKeys = [0x0200_0000]
        #expect(c.tenant(of: Self.info([.gre], innermost: .gre) { $0.greKey = 0x0200_0000; $0.hasGREKey = true }) == .none)
        var keys = EncapsulationSet()
        keys.insert(.mpls); keys.insert(.pppoe)
        let opt = TunnelAnalyticsConfig(tenantKeys: keys)
        #expect(opt.tenantMask != 0)
        // Pseudowire: the bottom label, named as mpls.
        let pw = Self.info([.mpls, .mplsPseudowire], innermost: .mplsPseudowire) { $0.mplsLabels.append(18); $0.mplsLabels.append(100) }
        #expect(opt.tenant(of: pw) == TenantKey(kind: .mpls, id: 100))
        #expect(opt.tenant(of: Self.info([.pppoe], innermost: .pppoe) { $0.pppoeSession = 0x1234 }) == TenantKey(kind: .pppoe, id: 0x1234))
        #expect(opt.tenant(of: Self.info([.vxlan], innermost: .vxlan) { $0.vxlanVNI = 1 }) == .none)
    }

    @Test func summaryPresenceAndOrientation() {
        let vlanOnly = { () -> TunnelInfo in var t = TunnelInfo(); t.layers.insert(.vlan); t.vlanIDs.append(10); return t }()
        #expect(TunnelAnalyticsConfig.summary(of: vlanOnly, tenant: .none, reversed: false) == nil)
        var t = Self.info([.vxlan], innermost: .vxlan) { $0.vxlanVNI = 100; $0.outerSrcPort = 49152; $0.outerDstPort = 4789; $0.outerIPProtocol = 17 }
        t.outerSrc = IPAddress("198.51.100.1")!; t.outerDst = IPAddress("198.51.100.2")!
        let s = TunnelAnalyticsConfig.summary(of: t, tenant: TenantKey(kind: .vxlan, id: 100), reversed: true)
        #expect(s?.outerSrc == IPAddress("198.51.100.2")! && s?.outerSrcPort == 4789 && s?.outerDstPort == 49152)
        #expect(s?.kind == .vxlan && s?.id == 100 && s?.hasID == true && s?.hasOuter == true)
        // PPPoE alone: a tunnel object only when it names a tenant, without outer endpoints.
        var p = TunnelInfo(); p.layers.insert(.pppoe); p.innermost = .pppoe; p.pppoeSession = 5
        #expect(TunnelAnalyticsConfig.summary(of: p, tenant: .none, reversed: false) == nil)
        #expect(TunnelAnalyticsConfig.summary(of: p, tenant: TenantKey(kind: .pppoe, id: 5), reversed: false)?.hasOuter == false)
    }
}
