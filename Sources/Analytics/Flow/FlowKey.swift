import PacketDecoding

/// The identity of a bidirectional flow: both endpoints in a canonical order (the smaller
/// address/port pair first), the IP protocol, both VLAN ids and the tenant (``TenantKey``, 0 for
/// untunnelled traffic), so the two directions of a conversation find the same entry and
/// overlapping tenant address spaces stay apart.
struct FlowKey: Hashable {
    var addressA: IPAddress
    var addressB: IPAddress
    var portA: UInt16
    var portB: UInt16
    var ipProtocol: UInt8
    /// The tenant's kind (``TenantKey/rawValue`` >> 32: 0 = no tenant). Declared here, in the byte
    /// of padding after `ipProtocol`, and `tenantID` in the four after `innerVLAN`, so the key
    /// stays 48 bytes, as it was without tenants.
    var tenantKind: UInt8 = 0
    var outerVLAN: UInt16
    var innerVLAN: UInt16
    var tenantID: UInt32 = 0

    /// ``TenantKey/rawValue``; 0 = no tenant.
    @inline(__always)
    var tenant: UInt64 { UInt64(tenantKind) << 32 | UInt64(tenantID) }

    init(addressA: IPAddress, addressB: IPAddress, portA: UInt16, portB: UInt16, ipProtocol: UInt8,
         outerVLAN: UInt16, innerVLAN: UInt16, tenant: UInt64 = 0) {
        self.addressA = addressA; self.addressB = addressB
        self.portA = portA; self.portB = portB
        self.ipProtocol = ipProtocol
        self.outerVLAN = outerVLAN; self.innerVLAN = innerVLAN
        tenantKind = UInt8(truncatingIfNeeded: tenant >> 32)
        tenantID = UInt32(truncatingIfNeeded: tenant)
    }

    static let empty = FlowKey(addressA: .zero, addressB: .zero, portA: 0, portB: 0, ipProtocol: 0, outerVLAN: 0, innerVLAN: 0)

    /// Builds the canonical key of a packet from `src:srcPort` to `dst:dstPort`; `fromA` tells
    /// whether the packet travels from side A.
    @inline(__always)
    static func make(src: IPAddress, srcPort: UInt16, dst: IPAddress, dstPort: UInt16, ipProtocol: UInt8,
                     outerVLAN: UInt16, innerVLAN: UInt16, tenant: UInt64 = 0) -> (key: FlowKey, fromA: Bool) {
        let srcFirst = src < dst || (src == dst && srcPort <= dstPort)
        if srcFirst {
            return (FlowKey(addressA: src, addressB: dst, portA: srcPort, portB: dstPort, ipProtocol: ipProtocol,
                            outerVLAN: outerVLAN, innerVLAN: innerVLAN, tenant: tenant), true)
        }
        return (FlowKey(addressA: dst, addressB: src, portA: dstPort, portB: srcPort, ipProtocol: ipProtocol,
                        outerVLAN: outerVLAN, innerVLAN: innerVLAN, tenant: tenant), false)
    }

    /// A fast 32-bit hash (multiply–xorshift over the fields); the table only needs a good
    /// spread, not resistance to crafted collisions, and the probe length is bounded by the load
    /// factor (≤ 50 %). The tenant is mixed in only when there is one, so untunnelled keys hash
    /// exactly as before tenants existed.
    @inline(__always)
    var hash32: UInt32 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        @inline(__always) func mix(_ v: UInt64) {
            h = (h ^ v) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
        }
        mix(addressA.high); mix(addressA.low); mix(addressB.high); mix(addressB.low)
        mix(UInt64(portA) | UInt64(portB) << 16 | UInt64(ipProtocol) << 32 | UInt64(outerVLAN) << 40
            | UInt64(innerVLAN & 0xFFF) << 52)
        if tenant != 0 { mix(tenant) }
        h = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }
}
