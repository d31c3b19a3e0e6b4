import PacketDecoding
import Records

/// Record values whose types belong to the analytics (addresses, service keys), written through
/// the writer's byte-level primitives so the text stays as before.
extension JSONWriter {
    /// An address as text; IPv4 is written straight into the buffer (the common case, per record).
    public mutating func value(_ address: IPAddress) {
        guard let v4 = address.ipv4 else { return value(address.description) }
        value(ipv4: v4)
    }

    /// A service id (`10.0.0.5:443/tcp`, `[2001:db8::1]:53/udp`, `vxlan:100/10.0.0.5:443/tcp`),
    /// same text as ``ServiceKey/id``.
    public mutating func value(serviceID s: ServiceKey) {
        // The tenant prefix is written in place too (no `s.id` string per record).
        value(serviceIPv4: s.address.ipv4, host: s.address.description, port: s.port, transport: s.transport.name,
              tenantKind: s.tenant.kind?.name ?? "", tenantID: s.tenant.id)
    }

    /// The `tunnel` member (``Records/TunnelRecord``), when `t` is not nil.
    public mutating func tunnel(_ t: TunnelSummary?) {
        guard let t else { return }
        typealias K = TunnelRecord.Key
        key(K.tunnel.key)
        beginObject()
        field(K.type.key, t.kind.name)
        if t.hasID { field(K.id.key, UInt64(t.id)) }
        if t.hasOuter {
            key(K.outer.key)
            beginObject()
            field(K.src.key, t.outerSrc)
            field(K.dst.key, t.outerDst)
            if t.outerSrcPort != 0 || t.outerDstPort != 0 {
                field(K.sport.key, Int(t.outerSrcPort))
                field(K.dport.key, Int(t.outerDstPort))
            }
            field(K.proto.key, Int(t.outerIPProtocol))
            endObject()
        }
        if t.tenant.isTenant { field(K.tenant.key, t.tenant.name) }
        key(K.layers.key)
        beginArray()
        for raw in 0 ..< UInt8(16) {
            if let kind = EncapsulationKind(rawValue: raw), t.layers.contains(kind) { value(kind.name) }
        }
        endArray()
        endObject()
    }

    public mutating func field(_ k: StaticString, _ v: IPAddress) {
        guard let v4 = v.ipv4 else { key(k); return value(v.description) }
        field(k, ipv4: v4)
    }
}
