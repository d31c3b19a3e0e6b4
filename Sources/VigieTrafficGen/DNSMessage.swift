/// DNS queries and responses (RFC 1035 with an EDNS0 OPT record), written in place.
///
/// Names come from the pool; answers point at the server that hosts the name (a second A
/// record for even-numbered names), NXDOMAIN responses carry the zone's SOA.
enum DNSMessage {
    static func write(_ s: Session, response: Bool, names: NamePool, network: NetworkPlan,
                      to p: UnsafeMutableRawPointer) -> Int {
        var c = ByteCursor(p)
        let nx = s.dnsOutcome == .nxdomain
        let name = Int(s.name)
        let answers = response && !nx ? (s.dnsAAAA || name & 1 == 1 ? 1 : 2) : 0
        c.u16(s.dnsID)
        c.u16(response ? (nx ? 0x8183 : 0x8180) : 0x0120)
        c.u16(1)
        c.u16(UInt16(answers))
        c.u16(response && nx ? 1 : 0)
        c.u16(1)
        let wire = names.wire
        c.put(wire.pointer(name), wire.length(name))
        let type: UInt16 = s.dnsAAAA ? 28 : 1
        c.u16(type)
        c.u16(1)
        let ttl: UInt32 = switch mix64(UInt64(name)) % 3 {
        case 0: 60
        case 1: 300
        default: 3600
        }
        for k in 0..<answers {
            let server = UInt32((name + k * (network.servers / 2 + 1)) % network.servers)
            c.u16(0xC00C)
            c.u16(type)
            c.u16(1)
            c.u32(ttl)
            if s.dnsAAAA {
                let a = network.serverV6(server)
                c.u16(16)
                c.u32(UInt32(truncatingIfNeeded: a.hi >> 32)); c.u32(UInt32(truncatingIfNeeded: a.hi))
                c.u32(UInt32(truncatingIfNeeded: a.lo >> 32)); c.u32(UInt32(truncatingIfNeeded: a.lo))
            } else {
                c.u16(4)
                c.u32(network.serverV4(server))
            }
        }
        if response && nx {
            // example.com SOA, the zone name pointing into the question.
            let zone = UInt16(0xC000 | (12 + 1 + Int(wire.pointer(name).load(as: UInt8.self))))
            c.u16(zone)
            c.u16(6)
            c.u16(1)
            c.u32(900)
            let lengthAt = c.offset
            c.u16(0)
            c.u8(3); c.put("ns1"); c.u16(zone)
            c.u8(10); c.put("hostmaster"); c.u16(zone)
            c.u32(2_026_010_101); c.u32(7200); c.u32(3600); c.u32(1_209_600); c.u32(300)
            c.patch16(at: lengthAt, UInt16(c.offset - lengthAt - 2))
        }
        // OPT: UDP payload size 1232, no flags.
        c.u8(0)
        c.u16(41)
        c.u16(1232)
        c.u32(0)
        c.u16(0)
        return c.offset
    }
}
