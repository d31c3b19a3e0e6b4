import Foundation
import Testing
import Analytics
import PacketDecoding
@testable import Agent

/// `analytics.tunnels` (docs/configuration.md): defaults, accepted forms, clear errors.
@Suite struct TunnelConfigTests {
    @Test func defaultsAreVXLANGeneveGRE() throws {
        let t = try ConfigLoader.parse("analytics: {enabled: true}").analytics.tunnels
        #expect(t.tenantKeyNames == ["vxlan", "geneve", "gre"] && t.mirrorVNIs.isEmpty && t.mirrorGREKeys.isEmpty)
        #expect(t.tenantKeys == TunnelAnalyticsConfig.defaultTenantKeys)
        #expect(t == TunnelAnalyticsConfig())
    }

    @Test func listsAndStrings() throws {
        let t = try ConfigLoader.parse("""
            analytics:
              tunnels:
                tenant_keys: [vxlan, erspan, mpls]
                mirror_vnis: [5000, 16777215]
                mirror_gre_keys: "0, 0x02000000"
            """).analytics.tunnels
        #expect(t.tenantKeyNames == ["vxlan", "erspan", "mpls"])
        #expect(t.tenantKeys.contains(.erspan) && t.tenantKeys.contains(.mpls) && !t.tenantKeys.contains(.gre))
        #expect(t.mirrorVNIs == [5000, 16_777_215])
        #expect(t.mirrorGREKeys == [0, 0x0200_0000])
        let none = try ConfigLoader.parse("analytics: {tunnels: {tenant_keys: []}}").analytics.tunnels
        #expect(none.tenantKeyNames.isEmpty && none.tenantMask == 0)
    }

    @Test(arguments: [
        ("analytics: {tunnels: {tenant_keys: [vxlan, ipip]}}", "analytics.tunnels.tenant_keys", "'ipip' is not an encapsulation with a tenant identity"),
        ("analytics: {tunnels: {tenant_keys: [gre, gre]}}", "analytics.tunnels.tenant_keys", "'gre' is listed twice"),
        ("analytics: {tunnels: {mirror_vnis: [16777216]}}", "analytics.tunnels.mirror_vnis", "'16777216' is not a VNI"),
        ("analytics: {tunnels: {mirror_vnis: [x]}}", "analytics.tunnels.mirror_vnis", "'x' is not a VNI"),
        ("analytics: {tunnels: {mirror_gre_keys: [0x1ffffffff]}}", "analytics.tunnels.mirror_gre_keys", "is not a GRE key"),
        ("analytics: {tunnels: {vnis: [1]}}", "analytics.tunnels.vnis", "unknown option"),
        ("analytics: {tunnels: [vxlan]}", "analytics.tunnels", "must be a mapping"),
    ])
    func errorsNameTheOption(yaml: String, option: String, message: String) {
        expectConfigError(yaml, option: option, message: message)
    }
}
