/// Addresses of the synthetic network. Everything is derived from host indexes, so nothing
/// is stored per host.
///
/// - clients: `10.1.x.y` upwards (`.1`–`.254` in each /24), IPv6 `2001:db8:c1::/64`
/// - servers: `172.16.x.y` upwards (`.1`–`.254` in each /24), IPv6 `2001:db8:5e::/64`, MAC `52:54:00:…`
/// - DNS resolvers: `10.0.0.53`, `10.0.0.54`, `2001:db8:53::53`
/// - client traffic reaches the capture point through a router (MAC `00:1c:73:…`),
///   as on a server-side SPAN port.
struct NetworkPlan {
    let clients: Int
    let servers: Int

    /// Largest accepted client count (keeps addresses inside 10.0.0.0/8).
    static let maxClients = 1_000_000
    /// Largest accepted server count (keeps addresses inside 172.16.0.0/12).
    static let maxServers = 250_000

    @inline(__always)
    private static func pack(_ base: UInt32, _ index: UInt32) -> UInt32 {
        base &+ (index / 254) << 8 &+ index % 254 &+ 1
    }

    @inline(__always)
    func clientV4(_ i: UInt32) -> UInt32 { Self.pack(0x0A01_0000, i) }

    @inline(__always)
    func serverV4(_ j: UInt32) -> UInt32 { Self.pack(0xAC10_0000, j) }

    @inline(__always)
    func resolverV4(_ r: UInt32) -> UInt32 { 0x0A00_0035 &+ r }

    @inline(__always)
    func clientV6(_ i: UInt32) -> IPv6Address { IPv6Address(hi: 0x2001_0DB8_00C1_0000, lo: UInt64(i) + 1) }

    @inline(__always)
    func serverV6(_ j: UInt32) -> IPv6Address { IPv6Address(hi: 0x2001_0DB8_005E_0000, lo: UInt64(j) + 1) }

    @inline(__always)
    func resolverV6(_ r: UInt32) -> IPv6Address { IPv6Address(hi: 0x2001_0DB8_0053_0000, lo: 0x53 + UInt64(r)) }

    /// Router MAC seen as the source of client traffic (one per VLAN).
    @inline(__always)
    func routerMAC(vlan: UInt16) -> UInt64 { 0x001C_73AA_0000 | UInt64(vlan) }

    @inline(__always)
    func serverMAC(_ j: UInt32) -> UInt64 { 0x5254_0000_0000 | UInt64(j + 1) }

    @inline(__always)
    func resolverMAC(_ r: UInt32) -> UInt64 { 0x5254_00FF_0035 &+ UInt64(r) }

    /// TTL of a client's packets at the capture point: Linux/macOS (64) or Windows (128)
    /// initial TTL minus 2–13 hops, fixed per client.
    @inline(__always)
    func clientTTL(_ i: UInt32) -> UInt8 {
        let h = mix64(UInt64(i) &+ 0x77)
        let base: UInt8 = h & 3 == 0 ? 128 : 64
        return base - UInt8(2 + (h >> 8) % 12)
    }
}
