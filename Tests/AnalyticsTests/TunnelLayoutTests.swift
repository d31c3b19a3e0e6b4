import Testing
import PacketDecoding
@testable import Analytics

/// Tenants and tunnels cost untunnelled flows no memory: the tenant sits in the key's padding, the
/// tunnel slot in the flow's extras (taken only by tunnelled flows).
@Suite struct TunnelLayoutTests {
    @Test func keyAndEntryLayout() {
        print("layout FlowKey size \(MemoryLayout<FlowKey>.size) stride \(MemoryLayout<FlowKey>.stride); FlowEntry stride \(MemoryLayout<FlowEntry>.stride); flowID at \(MemoryLayout<FlowEntry>.offset(of: \.flowID) ?? -1), TunnelSummary stride \(MemoryLayout<TunnelSummary>.stride); entry size \(MemoryLayout<FlowEntry>.size), inUse at \(MemoryLayout<FlowEntry>.offset(of: \.inUse) ?? -1), interimNext at \(MemoryLayout<FlowEntry>.offset(of: \.interimNext) ?? -1), history at \(MemoryLayout<FlowEntry>.offset(of: \.history) ?? -1), originator at \(MemoryLayout<FlowEntry>.offset(of: \.originator) ?? -1), responder at \(MemoryLayout<FlowEntry>.offset(of: \.responder) ?? -1)")
        #expect(MemoryLayout<FlowKey>.stride == 48)
    }

    @Test func untunnelledKeysHashAsBefore() {
        let a = IPAddress("10.0.0.1")!, b = IPAddress("10.0.0.2")!
        let plain = FlowKey.make(src: a, srcPort: 1, dst: b, dstPort: 2, ipProtocol: 6, outerVLAN: 0, innerVLAN: 0).key
        let tenant = FlowKey.make(src: a, srcPort: 1, dst: b, dstPort: 2, ipProtocol: 6, outerVLAN: 0, innerVLAN: 0,
                                  tenant: TenantKey(kind: .vxlan, id: 100).rawValue).key
        #expect(plain != tenant && plain.hash32 != tenant.hash32)
        #expect(tenant.tenant == TenantKey(kind: .vxlan, id: 100).rawValue)
        // The hash of a key without tenant is the pre-tenant formula.
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        func mix(_ v: UInt64) { h = (h ^ v) &* 0xBF58_476D_1CE4_E5B9; h ^= h >> 31 }
        mix(a.high); mix(a.low); mix(b.high); mix(b.low)
        mix(UInt64(1) | UInt64(2) << 16 | UInt64(6) << 32)
        h = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
        #expect(plain.hash32 == UInt32(truncatingIfNeeded: h ^ (h >> 32)))
    }

    @Test func tenantKeyNames() {
        #expect(TenantKey(kind: .vxlan, id: 100).name == "vxlan:100")
        #expect(TenantKey(name: "geneve:300") == TenantKey(kind: .geneve, id: 300))
        #expect(TenantKey(name: "ipip:1") == nil && TenantKey(name: "vxlan:x") == nil)
        #expect(TenantKey.none.name.isEmpty && !TenantKey.none.isTenant)
        #expect(ServiceKey(address: IPAddress("192.0.2.10")!, port: 80, transport: .tcp, tenant: TenantKey(kind: .gre, id: 7)).id == "gre:7/192.0.2.10:80/tcp")
        #expect(ServiceKey(address: IPAddress("2001:db8::1")!, port: 53, transport: .udp).id == "[2001:db8::1]:53/udp")
    }
}
