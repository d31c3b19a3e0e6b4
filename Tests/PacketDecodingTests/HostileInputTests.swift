import PacketDecoding
import Testing
import VigieTestSupport

/// Every prefix of valid packets and large numbers of random / mutated buffers must decode without
/// trapping, classify cut headers, and keep every reported span inside the buffer.
@Suite("Hostile input")
struct HostileInputTests {
    /// Valid packets covering every link type and protocol path.
    static let samples: [(name: String, linkType: LinkType, bytes: [UInt8])] = {
        let v4tcp = Build.ipv4(proto: 6, payload: Build.tcp(options: [1, 1, 1, 0], payload: [1, 2, 3]), options: [1, 1, 1, 0])
        let v4udp = Build.ipv4(proto: 17, payload: Build.udp(payload: [4, 5]))
        let v6chain = Build.ipv6(next: 0, payload: Build.ext6(next: 51) + Build.ah(next: 44) + Build.frag6(next: 6, offset: 0, more: true, id: 1) + Build.tcp(payload: [6]))
        let quote4 = Build.ipv4(proto: 1, payload: Build.icmp(type: 3, code: 3, payload: Array(Build.ipv4(proto: 17, payload: Build.udp()).prefix(28))))
        let quote6 = Build.ipv6(next: 58, payload: Build.icmp(type: 1, payload: Build.ipv6(next: 60, payload: Build.ext6(next: 17) + Build.udp())))
        let pppoe: [UInt8] = [0x11, 0, 0, 1] + Build.be16(UInt16(v4udp.count + 2)) + Build.be16(0x0021)
        return [
            ("eth/ipv4/tcp", .ethernet, Build.ethernet(type: 0x0800) + v4tcp),
            ("qinq/ipv4/udp", .ethernet, Build.ethernet(type: 0x0800, tags: [(0x88A8, 1), (0x8100, 2)]) + v4udp),
            ("eth/ipv6/ext/tcp", .ethernet, Build.ethernet(type: 0x86DD) + v6chain),
            ("eth/ipv4/icmp-quote", .ethernet, Build.ethernet(type: 0x0800) + quote4),
            ("eth/ipv6/icmpv6-quote", .ethernet, Build.ethernet(type: 0x86DD) + quote6),
            ("eth/ipv4/sctp", .ethernet, Build.ethernet(type: 0x0800) + Build.ipv4(proto: 132, payload: Build.sctp(payload: [0]))),
            ("eth/pppoe/ipv4/udp", .ethernet, Build.ethernet(type: 0x8864) + pppoe + v4udp),
            ("eth/mpls/ipv4/udp", .ethernet, Build.ethernet(type: 0x8847) + [0, 1, 1, 64] + v4udp),
            ("eth/arp", .ethernet, Build.ethernet(type: 0x0806) + [0, 1, 8, 0, 6, 4, 0, 1] + [UInt8](repeating: 0, count: 20)),
            ("null/ipv4/udp", .null, Build.le32(2) + v4udp),
            ("loop/ipv6", .loop, Build.be32(24) + v6chain),
            ("raw/ipv4/tcp", .raw, v4tcp),
            ("raw12/ipv6", .rawAlt12, quote6),
            ("raw14/ipv4", .rawAlt14, quote4),
            ("ipv4/udp", .ipv4, v4udp),
            ("ipv6/ext/tcp", .ipv6, v6chain),
            ("sll/vlan/ipv4/tcp", .linuxSLL, Build.sll(protocol: 0x8100) + [0, 5, 8, 0] + v4tcp),
            ("sll2/ipv6", .linuxSLL2, Build.sll2(protocol: 0x86DD) + v6chain),
            ("nflog/ipv4/tcp", .nflog, Build.nflog(family: 2, packet: v4tcp)),
            ("nflog-be/ipv6", .nflog, Build.nflog(family: 10, packet: v6chain, littleEndian: false)),
            ("ipoib/ipv6", .ipoib, Build.ipoib(type: 0x86DD) + v6chain),
            ("brcm/vlan/ipv4/udp", .broadcomTag, Build.broadcomTagged(type: 0x0800, tags: [(0x8100, 3)]) + v4udp),
        ]
    }()

    @Test(arguments: 0..<samples.count)
    func everyPrefixIsClassified(index: Int) {
        let (name, linkType, bytes) = Self.samples[index]
        let full = decode(bytes, linkType)
        #expect(full.anomaly == .none, "\(name) should decode cleanly, got \(full.anomaly)")
        // Headers end where the payload starts (for ARP/other, at the payload offset too).
        let headerEnd = full.payloadOffset
        #expect(headerEnd > 0, "\(name)")
        for length in 0...bytes.count {
            let prefix = Array(bytes.prefix(length))
            let p = decode(prefix, linkType)
            if let problem = Invariants.violation(p, count: length) {
                Issue.record("\(name) prefix \(length): \(problem)")
            }
            if length < headerEnd && p.anomaly == .none {
                Issue.record("\(name) prefix \(length) < header end \(headerEnd) but no anomaly")
            }
        }
    }

    /// Completely random buffers, lengths 0–127, for every link type (plus an unsupported one).
    @Test func randomBuffersNeverTrap() {
        var rng = SplitMix64(seed: 0x5EED_0001)
        let linkTypes = LinkType.supported + [LinkType(rawValue: 147)]
        var buffer = [UInt8](repeating: 0, count: 128)
        var packet = DecodedPacket()
        var anomalies = 0
        for i in 0..<100_000 {
            let length = Int(rng.next() % 128)
            for j in 0..<length { buffer[j] = UInt8(truncatingIfNeeded: rng.next()) }
            let linkType = linkTypes[i % linkTypes.count]
            buffer.withUnsafeBytes { raw in
                PacketDecoder.decode(UnsafeRawBufferPointer(rebasing: raw[0..<length]), linkType: linkType, into: &packet)
            }
            if packet.anomaly != .none { anomalies += 1 }
            if let problem = Invariants.violation(packet, count: length) {
                Issue.record("random case \(i) (\(linkType.rawValue), \(length) bytes): \(problem)")
                return
            }
        }
        #expect(anomalies > 0)
    }

    /// Valid packets with 1–4 random bytes overwritten: reaches deep paths random bytes rarely do.
    @Test func mutatedPacketsNeverTrap() {
        var rng = SplitMix64(seed: 0x5EED_0002)
        var packet = DecodedPacket()
        for i in 0..<100_000 {
            let (name, linkType, original) = Self.samples[i % Self.samples.count]
            var bytes = original
            for _ in 0...(rng.next() % 4) {
                bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            let length = rng.next() % 4 == 0 ? Int(rng.next() % UInt64(bytes.count + 1)) : bytes.count
            bytes.withUnsafeBytes { raw in
                PacketDecoder.decode(UnsafeRawBufferPointer(rebasing: raw[0..<length]), linkType: linkType, into: &packet)
            }
            if let problem = Invariants.violation(packet, count: length) {
                Issue.record("mutation \(i) of \(name): \(problem)")
                return
            }
        }
    }
}

/// Properties every decode result must have, whatever the input.
enum Invariants {
    static func violation(_ p: DecodedPacket, count: Int) -> String? {
        if p.capturedLength != count { return "capturedLength \(p.capturedLength) != \(count)" }
        if p.payloadOffset < 0 || p.payloadLength < 0 || p.payloadOffset + p.payloadLength > count {
            return "payload \(p.payloadOffset)+\(p.payloadLength) outside \(count)"
        }
        if p.payloadWireLength < p.payloadLength { return "wire length \(p.payloadWireLength) < captured \(p.payloadLength)" }
        if p.networkOffset < 0 || p.networkOffset > count { return "networkOffset \(p.networkOffset)" }
        if p.transportOffset < 0 || p.transportOffset > count { return "transportOffset \(p.transportOffset)" }
        if p.vlanCount > 8 { return "vlanCount \(p.vlanCount)" }
        let hasPorts = p.transport == .tcp || p.transport == .udp || p.transport == .sctp
        if !hasPorts && (p.srcPort != 0 || p.dstPort != 0) { return "ports without a port-carrying transport" }
        if p.fragment.isNonFirst && p.transport != .none { return "transport decoded in a non-first fragment" }
        if p.network == .none && (p.src != .zero || p.transport != .none) { return "fields past a missing network layer" }
        if p.network == .ipv4 && p.src != .zero && !p.src.isIPv4 { return "IPv4 source not IPv4-mapped" }
        if p.quoted.isPresent && p.transport != .icmp && p.transport != .icmpv6 { return "quote outside ICMP" }
        if p.anomaly == .unsupportedLink && p.network != .none { return "decoded an unsupported link" }
        return nil
    }
}
