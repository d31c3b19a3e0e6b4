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

    /// A service id (`10.0.0.5:443/tcp`, `[2001:db8::1]:53/udp`), same text as ``ServiceKey/id``.
    public mutating func value(serviceID s: ServiceKey) {
        value(serviceIPv4: s.address.ipv4, host: s.address.description, port: s.port, transport: s.transport.name)
    }

    public mutating func field(_ k: StaticString, _ v: IPAddress) { key(k); value(v) }
}
