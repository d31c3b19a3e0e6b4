import Foundation
import PacketDecoding
import Testing

/// One query of the agreement matrix: Vigie's syntax and how to get tcpdump's reference answer.
struct MatrixQuery: CustomStringConvertible {
    enum Reference {
        /// The same expression through tcpdump, seen through up to two VLAN tags.
        case seeingThroughVLANs(String)
        /// The union of these tcpdump filters, as given.
        case union([String])
    }

    var vigie: String
    var reference: Reference

    var description: String { vigie }

    static func same(_ q: String) -> MatrixQuery { MatrixQuery(vigie: q, reference: .seeingThroughVLANs(q)) }
}

enum QueryMatrix {
    /// The network/transport queries checked on a segment, built from values that occur in it.
    static func queries(for pcap: TestPcap) -> [MatrixQuery] {
        let traffic = TrafficSample(pcap)
        var q: [MatrixQuery] = []
        let a = traffic.topIPv4 ?? "192.0.2.1"
        let b = traffic.secondIPv4 ?? "198.51.100.2"
        let p = traffic.topPort ?? 80
        q += ["host \(a)", "src host \(a)", "dst host \(a)", "host \(b) or host \(a)", "src \(a) and dst \(b)",
              "net \(traffic.net16(a))", "dst net \(traffic.net16(b))", "src or dst host \(b)", "src and dst net \(traffic.net16(a))",
              "port \(p)", "src port \(p)", "dst port \(p)", "portrange 1-1023", "tcp port \(p)", "udp port 53 or tcp port 80",
              "host \(a) and port \(p)", "host \(a) and (port \(p) or port 53)", "host \(a) and not port \(p)",
              "tcp", "udp", "icmp", "icmp6", "sctp", "ip", "ip6", "arp", "rarp", "proto 47", "ip proto 6", "ip6 proto 58",
              "ip6 proto 44", "not host \(a)", "not tcp", "tcp and not port \(p)", "not (ip or ip6)", "! udp && ! tcp",
              "tcp or udp and not port \(p)", "ip host \(a)", "arp host \(a)"].map(MatrixQuery.same)
        if let v6 = traffic.topIPv6 {
            q += ["host \(v6)", "src host \(v6)", "net \(traffic.net64(v6))", "ip6 and host \(v6) and not tcp"].map(MatrixQuery.same)
        }
        for v in traffic.vlans.prefix(2) {
            q.append(MatrixQuery(vigie: "vlan \(v)", reference: .union(["vlan \(v)", "vlan and vlan \(v)"])))
        }
        q.append(MatrixQuery(vigie: "vlan", reference: .union(["vlan"])))
        if let mac = traffic.topMAC {
            q.append(MatrixQuery(vigie: "ether host \(mac)", reference: .union(["ether host \(mac)"])))
            q.append(MatrixQuery(vigie: "ether src \(mac)", reference: .union(["ether src \(mac)"])))
        }
        return q
    }

    /// Runs every query on `segment` and records each disagreement as a test issue.
    ///
    /// Encapsulated packets (``Encapsulated``) are left out of the comparison: unqualified terms
    /// address their innermost packet, which tcpdump does not read (TunnelQueryTests compares them
    /// with tshark instead). Everything else must be tcpdump's selection exactly.
    static func check(_ segment: SegmentUnderTest, label: String, scanToo: Bool = true) throws -> (checked: Int, nonEmpty: Int) {
        var checked = 0, nonEmpty = 0
        let skip = Encapsulated.indexes(of: segment.pcap)
        for query in queries(for: segment.pcap) {
            let expectedAll: [Int]?
            switch query.reference {
            case .seeingThroughVLANs(let e): expectedAll = try segment.tcpdumpSeeingThroughVLANs(e)
            case .union(let filters): expectedAll = segment.isEthernet || !filters.contains(where: { $0.contains("vlan") || $0.contains("ether") })
                ? try segment.tcpdump(filters) : nil
            }
            guard let expectedAll else { continue }  // tcpdump cannot filter this on this link type
            let expected = expectedAll.filter { !skip.contains($0) }
            let gotAll = try segment.vigie(query.vigie)
            let got = gotAll.filter { !skip.contains($0) }
            let same = got == expected
            #expect(same, "\(label): '\(query)': Vigie \(got.count) packets, tcpdump \(expected.count); only Vigie: \(Array(Set(got).subtracting(expected)).sorted().prefix(8)), only tcpdump: \(Array(Set(expected).subtracting(got)).sorted().prefix(8))")
            if scanToo {
                let scanned = try segment.vigie(query.vigie, indexed: false)
                let agree = scanned == gotAll
                #expect(agree, "\(label): '\(query)': scanning disagrees with the index")
            }
            checked += 1
            if !expected.isEmpty { nonEmpty += 1 }
        }
        return (checked, nonEmpty)
    }
}

/// Frequent values in a segment, to aim the queries at packets that exist.
struct TrafficSample {
    var topIPv4: String?
    var secondIPv4: String?
    var topIPv6: String?
    var topPort: UInt16?
    var vlans: [UInt16] = []
    var topMAC: String?

    init(_ pcap: TestPcap) {
        var v4: [IPAddress: Int] = [:], v6: [IPAddress: Int] = [:], ports: [UInt16: Int] = [:], vlanCounts: [UInt16: Int] = [:]
        var macs: [UInt64: Int] = [:]
        let link = LinkType(rawValue: pcap.linkType)
        for r in pcap.records {
            let d = r.data.withUnsafeBytes { PacketDecoder.decode($0, linkType: link) }
            if d.network == .ipv4 { v4[d.src, default: 0] += 1; v4[d.dst, default: 0] += 1 }
            if d.network == .ipv6 { v6[d.src, default: 0] += 1 }
            if d.transport == .tcp || d.transport == .udp {
                ports[min(d.srcPort, d.dstPort), default: 0] += 1
            }
            if d.vlanCount >= 1 { vlanCounts[d.outerVLAN, default: 0] += 1 }
            if d.vlanCount >= 2 { vlanCounts[d.innerVLAN, default: 0] += 1 }
            if d.hasEthernet { macs[d.srcMAC.rawValue, default: 0] += 1 }
        }
        let sortedV4 = v4.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        topIPv4 = sortedV4.first.map { "\($0.key)" }
        secondIPv4 = sortedV4.dropFirst().first.map { "\($0.key)" }
        topIPv6 = v6.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }.map { "\($0.key)" }
        topPort = ports.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key
        vlans = vlanCounts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        topMAC = macs.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }.map { MACAddress(rawValue: $0.key).description }
    }

    func net16(_ a: String) -> String {
        let parts = a.split(separator: ".")
        return parts.count == 4 ? "\(parts[0]).\(parts[1]).0.0/16" : a
    }

    func net64(_ a: String) -> String {
        guard let address = IPAddress(a) else { return a }
        return "\(IPAddress(high: address.high, low: 0))/64"
    }
}
