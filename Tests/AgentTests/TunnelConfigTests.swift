import Foundation
import Testing
import Analytics
import PacketDecoding
@testable import Agent

/// `analytics.tunnels` (docs/configuration.md): defaults, accepted forms, clear errors.
@Suite struct TunnelConfigTests {
    @Test func defaultsAreVXLANGeneveGRE() throws {
        let a = try ConfigLoader.parse("analytics: {enabled: true}").analytics
        #expect(a.tunnelTenantKeys == ["vxlan", "geneve", "gre"] && a.tunnelMirrorVNIs.isEmpty && a.tunnelMirrorGREKeys.isEmpty)
        let t = AgentAnalytics.tunnelConfig(a)
        #expect(t.tenantKeys == TunnelAnalyticsConfig.defaultTenantKeys)
        #expect(t == TunnelAnalyticsConfig())
    }

    @Test func listsAndStrings() throws {
        let a = try ConfigLoader.parse("""
            analytics:
              tunnels:
                tenant_keys: [vxlan, erspan, mpls]
                mirror_vnis: [5000, 16777215]
                mirror_gre_keys: "0, 0x02000000"
            """).analytics
        #expect(a.tunnelTenantKeys == ["vxlan", "erspan", "mpls"])
        #expect(a.tunnelMirrorVNIs == [5000, 16_777_215])
        #expect(a.tunnelMirrorGREKeys == [0, 0x0200_0000])
        let t = AgentAnalytics.tunnelConfig(a)
        #expect(t.tenantKeys.contains(.erspan) && t.tenantKeys.contains(.mpls) && !t.tenantKeys.contains(.gre))
        #expect(t.mirrorVNIs == [5000, 16_777_215])
        let none = try ConfigLoader.parse("analytics: {tunnels: {tenant_keys: []}}").analytics
        #expect(none.tunnelTenantKeys.isEmpty && AgentAnalytics.tunnelConfig(none).tenantMask == 0)
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
        do {
            _ = try ConfigLoader.parse(yaml)
            Issue.record("accepted: \(yaml)")
        } catch let e as ConfigError {
            #expect(e.option == option, "\(e)")
            #expect(e.message.contains(message), "\(e)")
        } catch {
            Issue.record("\(error)")
        }
    }
}
