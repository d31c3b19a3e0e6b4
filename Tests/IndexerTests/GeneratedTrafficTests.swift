import Foundation
import Indexer
import PacketDecoding
import Testing
import VigieTestSupport

/// Hand-made and randomly mixed packets covering the BPF corner cases, checked against tcpdump.
@Suite("Generated traffic agrees with tcpdump")
struct GeneratedTrafficTests {
    /// One packet of every shape whose BPF treatment is subtle.
    static func corners() -> [[UInt8]] {
        let tcp = Build.tcp(src: 40000, dst: 80)
        let v4 = Build.ipv4(src: "10.1.2.3", dst: "10.9.9.9", proto: 6, payload: tcp)
        var p: [[UInt8]] = []
        p.append(Build.ethernet(type: 0x0800) + v4)
        p.append(Build.ethernet(type: 0x0800, tags: [(0x8100, 100)]) + v4)
        p.append(Build.ethernet(type: 0x0800, tags: [(0x88A8, 200), (0x8100, 100)]) + v4)
        p.append(Build.ethernet(type: 0x0800, tags: [(0x9100, 300), (0x8100, 301)]) + v4)
        p.append(Build.ethernet(type: 0x0800, tags: [(0x88A8, 7), (0x8100, 7)]) + v4)  // the same id twice
        p.append(Build.ethernet(type: 0x0800, tags: [(0x88A8, 1), (0x8100, 2), (0x8100, 3)]) + v4)  // three tags
        // IPv4 fragments: the first has ports, the others not (BPF `port` skips them; `tcp` does not).
        p.append(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.1.2.3", dst: "10.9.9.9", proto: 17, payload: Build.udp(src: 5000, dst: 53, payload: [1, 2, 3, 4]), moreFragments: true))
        p.append(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.1.2.3", dst: "10.9.9.9", proto: 17, payload: [0, 53, 0, 53, 9, 9, 9, 9], fragmentOffset: 8))
        p.append(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.1.2.3", dst: "10.9.9.9", proto: 6, payload: [0, 80, 0, 80], fragmentOffset: 1480))
        // IPv4 options (IHL 6): ports are read after them.
        p.append(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.1.2.4", dst: "10.9.9.9", proto: 6, payload: Build.tcp(src: 1234, dst: 443), options: [1, 1, 1, 0]))
        // A bad IHL (3) and a bad version nibble: BPF still reads at its fixed offsets.
        p.append(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.1.2.5", dst: "10.9.9.9", proto: 6, payload: tcp, ihl: 3))
        p.append(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.1.2.6", dst: "10.9.9.9", proto: 17, payload: Build.udp(), version: 6))
        // SCTP and ICMP.
        p.append(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.1.2.3", dst: "10.9.9.8", proto: 132, payload: Build.sctp(src: 80, dst: 2906)))
        p.append(Build.padded(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.1.2.3", dst: "10.9.9.8", proto: 1, payload: Build.icmp())))
        // IPv6: plain TCP; hop-by-hop then TCP (BPF `tcp` and `port` do not see it); fragment header
        // then TCP, first and non-first (`tcp` sees both, `port` neither); ICMPv6 behind a fragment.
        p.append(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 6, payload: Build.tcp(src: 40001, dst: 80)))
        p.append(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 0, payload: Build.ext6(next: 6) + Build.tcp(src: 40002, dst: 80)))
        p.append(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 44, payload: Build.frag6(next: 6, offset: 0, more: true) + Build.tcp(src: 40003, dst: 80)))
        p.append(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 44, payload: Build.frag6(next: 6, offset: 1448, more: false) + [0, 80, 0, 80, 1, 2, 3, 4]))
        p.append(Build.ethernet(type: 0x86DD) + Build.ipv6(next: 44, payload: Build.frag6(next: 58, offset: 0, more: true) + Build.icmp(type: 128)))
        p.append(Build.ethernet(type: 0x86DD, tags: [(0x8100, 100)]) + Build.ipv6(src: "2001:db8::7", next: 17, payload: Build.udp(src: 547, dst: 53)))
        p.append(Build.ethernet(type: 0x86DD, tags: [(0x88A8, 200), (0x8100, 100)]) + Build.ipv6(src: "2001:db8::7", next: 58, payload: Build.icmp(type: 128)))
        // ARP and RARP: `host` matches their sender / target addresses.
        p.append(Build.padded(Build.ethernet(type: 0x0806) + Build.arp(sender: "10.1.2.3", target: "10.1.2.254")))
        p.append(Build.padded(Build.ethernet(type: 0x0806, tags: [(0x8100, 100)]) + Build.arp(sender: "10.1.2.254", target: "10.1.2.3", op: 2)))
        p.append(Build.padded(Build.ethernet(type: 0x8035) + Build.arp(sender: "10.1.2.7", target: "10.1.2.3", op: 3)))
        // PPPoE and MPLS carry IP that BPF does not see without `pppoes` / `mpls`.
        p.append(Build.ethernet(type: 0x8864) + [0x11, 0, 0, 1, 0, 42, 0, 0x21] + v4)
        p.append(Build.ethernet(type: 0x8847) + [0, 0, 0x11, 64] + v4)
        // 802.3 / LLC.
        p.append(Build.padded(Build.ethernet(type: 0x0026) + [0x42, 0x42, 0x03] + [UInt8](repeating: 0, count: 35)))
        // GRE (proto 47).
        p.append(Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.1.2.3", dst: "10.9.9.7", proto: 47, payload: [0, 0, 0x08, 0]))
        return p
    }

    /// Snapped copies of some corner packets: fields whose bytes were not captured.
    static func truncations() -> [[UInt8]] {
        let full = Build.ethernet(type: 0x0800) + Build.ipv4(src: "10.1.2.3", dst: "10.9.9.9", proto: 6, payload: Build.tcp(src: 40000, dst: 80))
        let v6 = Build.ethernet(type: 0x86DD) + Build.ipv6(next: 6, payload: Build.tcp(src: 40001, dst: 80))
        return [8, 13, 14, 20, 24, 30, 33, 34, 36, 38].map { Array(full.prefix($0)) }
            + [20, 22, 40, 50, 54, 56, 58].map { Array(v6.prefix($0)) }
    }

    /// Random mixes of the shapes with varied addresses, ports, tags.
    static func random(count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        let hosts = ["10.1.2.3", "10.1.2.4", "10.9.9.9", "192.0.2.1", "198.51.100.2", "10.1.200.1"]
        let hosts6 = ["2001:db8::1", "2001:db8::2", "2001:db8:1::5", "fe80::1"]
        let ports: [UInt16] = [53, 80, 443, 22, 40000, 40001, 5432, 1023, 1024]
        var out: [[UInt8]] = []
        for _ in 0..<count {
            let tagCount = rng.next(5) == 0 ? Int(rng.next(3)) : 0
            let tpids: [UInt16] = [0x8100, 0x88A8, 0x9100]
            var tags: [(UInt16, UInt16)] = []
            for _ in 0..<tagCount { tags.append((tpids[Int(rng.next(3))], UInt16(rng.next(4)) * 100)) }
            let sp = ports[Int(rng.next(UInt64(ports.count)))], dp = ports[Int(rng.next(UInt64(ports.count)))]
            let payload: [UInt8]
            switch rng.next(10) {
            case 0...3: payload = Build.tcp(src: sp, dst: dp)
            case 4...6: payload = Build.udp(src: sp, dst: dp)
            case 7: payload = Build.icmp()
            case 8: payload = Build.sctp(src: sp, dst: dp)
            default: payload = [1, 2, 3, 4, 5, 6, 7, 8]
            }
            let proto: [UInt8] = [6, 6, 6, 6, 17, 17, 17, 1, 132, 47]
            let kind = rng.next(10)
            if kind < 6 {
                let p = proto[min(9, Int(payload.count == 8 && kind > 0 ? 9 : rng.next(10)))]
                let frag = rng.next(20) == 0 ? 8 * Int(rng.next(3)) : 0
                let pkt = Build.ipv4(src: hosts[Int(rng.next(6))], dst: hosts[Int(rng.next(6))], proto: p, payload: payload,
                                     moreFragments: rng.next(10) == 0, fragmentOffset: frag)
                out.append(Build.padded(Build.ethernet(type: 0x0800, tags: tags) + pkt))
            } else if kind < 9 {
                let next: UInt8 = [6, 17, 58, 132][Int(rng.next(4))]
                var body = payload
                var first = next
                if rng.next(6) == 0 { body = Build.frag6(next: next, offset: 8 * Int(rng.next(2)), more: true) + body; first = 44 }
                else if rng.next(8) == 0 { body = Build.ext6(next: next) + body; first = 0 }
                out.append(Build.ethernet(type: 0x86DD, tags: tags) + Build.ipv6(src: hosts6[Int(rng.next(4))], dst: hosts6[Int(rng.next(4))], next: first, payload: body))
            } else {
                out.append(Build.padded(Build.ethernet(type: 0x0806, tags: tags) + Build.arp(sender: hosts[Int(rng.next(6))], target: hosts[Int(rng.next(6))])))
            }
        }
        return out
    }

    static func pcap(_ packets: [[UInt8]], linkType: UInt32 = 1) -> TestPcap {
        var pcap = TestPcap(linkType: linkType)
        for (i, p) in packets.enumerated() { pcap.add(p, seconds: 1_700_000_000 + UInt32(i / 10), fraction: UInt32(i % 10) * 1000, originalLength: UInt32(max(p.count, 60))) }
        return pcap
    }

    @Test("corner cases, truncations and random Ethernet traffic")
    func ethernet() throws {
        guard TestEnvironment.tcpdump != nil else {
            print("SKIP: tcpdump not installed")
            return
        }
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let packets = Self.corners() + Self.random(count: 2000, seed: 42)
        let segment = try SegmentUnderTest(Self.pcap(packets), in: dir, name: "generated")
        let (checked, nonEmpty) = try QueryMatrix.check(segment, label: "generated")
        #expect(checked > 40)
        #expect(nonEmpty > 35, "most queries must select something, or the comparison proves little")
        let truncated = try SegmentUnderTest(Self.pcap(Self.truncations() + Self.corners()), in: dir, name: "truncated")
        // Positive terms must agree exactly even on cut packets.
        for q in ["host 10.1.2.3", "dst host 10.9.9.9", "port 80", "dst port 80", "tcp", "ip6", "host 2001:db8::2", "ip"] {
            let expected = try truncated.tcpdumpSeeingThroughVLANs(q).map(truncated.untunnelled)
            let got = truncated.untunnelled(try truncated.vigie(q))
            let same = got == expected
            #expect(same, "truncated: \(q): Vigie \(got), tcpdump \(expected ?? [])")
        }
    }

    @Test("other link types: SLL, SLL2, raw, IPv4, IPv6, loopback")
    func otherLinkTypes() throws {
        guard TestEnvironment.tcpdump != nil else {
            print("SKIP: tcpdump not installed")
            return
        }
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let v4 = Build.ipv4(src: "10.1.2.3", dst: "10.9.9.9", proto: 6, payload: Build.tcp(src: 40000, dst: 80))
        let v4udp = Build.ipv4(src: "10.1.2.4", dst: "10.1.2.3", proto: 17, payload: Build.udp(src: 53, dst: 5353))
        let v6 = Build.ipv6(next: 44, payload: Build.frag6(next: 6, offset: 0, more: true) + Build.tcp(src: 40003, dst: 80))
        let le = { (family: UInt32) -> [UInt8] in [UInt8(family & 0xFF), UInt8(family >> 8 & 0xFF), UInt8(family >> 16 & 0xFF), UInt8(family >> 24)] }
        let cases: [(UInt32, [[UInt8]])] = [
            (113, [Build.sll(protocol: 0x0800) + v4, Build.sll(protocol: 0x86DD) + v6, Build.sll(protocol: 0x0806) + Build.arp(sender: "10.1.2.3", target: "10.1.2.1"), Build.sll(protocol: 0x0800) + v4udp]),
            (276, [Build.sll2(protocol: 0x0800) + v4, Build.sll2(protocol: 0x86DD) + v6, Build.sll2(protocol: 0x0800) + v4udp]),
            (101, [v4, v6, v4udp, [0x50, 1, 2, 3]]),
            (228, [v4, v4udp]),
            (229, [v6, Build.ipv6(src: "2001:db8::9", next: 17, payload: Build.udp(src: 53, dst: 40000)), Build.ipv6(next: 58, payload: Build.icmp(type: 128))]),
            (0, [le(2) + v4, le(30) + v6, le(10) + v6, le(24) + v6, le(2) + v4udp]),
            (108, [Build.be32(2) + v4, Build.be32(28) + v6, Build.be32(2) + v4udp]),
        ]
        for (linkType, packets) in cases {
            let segment = try SegmentUnderTest(Self.pcap(packets + packets, linkType: linkType), in: dir, name: "lt\(linkType)")
            let (checked, nonEmpty) = try QueryMatrix.check(segment, label: "link type \(linkType)")
            #expect(checked > 20 && nonEmpty > 10, "link type \(linkType): \(checked) queries, \(nonEmpty) non-empty")
        }
    }
}
