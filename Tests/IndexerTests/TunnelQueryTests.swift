import Foundation
import Indexer
import PacketDecoding
import Testing
import VigieTestSupport

/// The captures of `Tests/TestSupport/Scripts/tunnel_captures.py`, written once per test process.
enum TunnelCaptures {
    /// Every capture the script writes, in the order of its documentation.
    static let names = ["vxlan", "geneve", "gre", "gre-eth", "erspan1", "erspan2", "erspan3", "mpls", "mpls-pw-cw", "mpls-pw",
                        "pppoe", "ipip", "6in4", "6in6", "gtpu", "vlan3", "llc", "wifi", "radiotap", "tenants", "erspan-sessions"]
    /// IP-level tunnels: their outer layer is 198.51.100.1 <-> .2 (2001:db8:ff::1 <-> ::2 for 6in6).
    static let ipTunnels: Set<String> = ["vxlan", "geneve", "gre", "gre-eth", "erspan1", "erspan2", "erspan3", "ipip", "6in4",
                                         "6in6", "gtpu", "tenants", "erspan-sessions"]
    /// Captures whose inner packets are IPv6.
    static let innerIPv6: Set<String> = ["6in4", "6in6"]

    /// The directory holding the captures, or why there is none (then the tests skip, saying so).
    static let directory: Result<String, Skip> = TunnelCaptureFiles.directory.mapError { Skip($0.description) }

    struct Skip: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func path(_ name: String) -> String? {
        guard case .success(let dir) = directory else {
            if case .failure(let why) = directory { print("SKIP: tunnel captures: \(why)") }
            return nil
        }
        return dir + "/" + name + ".pcap"
    }
}

/// tshark's answers on one capture, as frame indexes (frame number - 1).
///
/// Settings: `-n` only; everything else is tshark 4.0's default dissection (VXLAN on UDP 4789,
/// Geneve 6081, GTP-U 2152, ERSPAN by GRE protocol type, IP reassembly on: the frame that completes
/// a fragmented outer datagram shows the tunnel, as Vigie indexes it).
struct TsharkView {
    let path: String
    /// Per frame: the protocols of the dissection tree (`frame.protocols`) and each id field's values.
    var protocols: [Set<String>] = []
    var ids: [String: [Set<UInt32>]] = [:]

    static let options = ["-n"]
    /// Vigie's tunnel keyword, tshark's protocol names for its presence, tshark's id field(s).
    static let tunnelFields: [(keyword: String, protocols: [String], fields: [String])] = [
        ("vxlan", ["vxlan"], ["vxlan.vni"]), ("geneve", ["geneve"], ["geneve.vni"]), ("gre", ["gre"], ["gre.key"]),
        ("erspan", ["erspan"], ["erspan.spanid"]), ("mpls", ["mpls"], ["mpls.label"]), ("pppoes", ["pppoes"], ["pppoe.session_id"]),
        ("gtp", ["gtp"], ["gtp.teid"]), ("vlan", ["vlan", "ieee8021ad"], ["vlan.id", "ieee8021ad.id"]),
    ]

    init(_ path: String) throws {
        self.path = path
        let fields = Self.tunnelFields.flatMap(\.fields)
        var argv = ["tshark"] + Self.options + ["-r", path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
                                                "-e", "frame.protocols"]
        for f in fields { argv += ["-e", f] }
        let r = try Support.run(argv)
        for f in fields { ids[f] = [] }
        for line in r.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            protocols.append(Set(cols[0].split(separator: ":").map(String.init)))
            for (i, f) in fields.enumerated() {
                let text = i + 1 < cols.count ? cols[i + 1] : ""
                ids[f]!.append(Set(text.split(separator: ",").compactMap { s in
                    s.hasPrefix("0x") ? UInt32(s.dropFirst(2), radix: 16) : UInt32(s)
                }))
            }
        }
    }

    /// Frames with any of `names` in their dissection (what the display filter `name` selects).
    func having(_ names: [String]) -> [Int] {
        protocols.indices.filter { i in names.contains { protocols[i].contains($0) } }
    }

    /// Frames where one of `fields` has `value` (the display filter `field == value`).
    func with(_ fields: [String], _ value: UInt32) -> [Int] {
        protocols.indices.filter { i in fields.contains { ids[$0]![i].contains(value) } }
    }

    /// Distinct values of `fields` over the capture.
    func values(_ fields: [String]) -> [UInt32] {
        Set(fields.flatMap { ids[$0]!.flatMap { $0 } }).sorted()
    }

    /// The frames tshark's display filter selects.
    func select(_ filter: String) throws -> [Int] {
        let r = try Support.run(["tshark"] + Self.options + ["-r", path, "-Y", filter, "-T", "fields", "-e", "frame.number"])
        #expect(r.status == 0, "tshark -Y '\(filter)': \(r.stderr)")
        return r.stdout.split(separator: "\n").compactMap { Int($0) }.map { $0 - 1 }
    }
}

@Suite("Tunnelled traffic: Vigie's queries against tshark on the same layer")
struct TunnelQueryTests {
    /// Inner terms (innermost layer) and the tshark filter that selects the same layer. The
    /// captures' outer addresses and protocols (198.51.100.x, UDP or GRE) never occur inside, so
    /// tshark's any-layer `ip.addr`/`tcp.port` name the inner layer here.
    static func innerQueries(_ name: String) -> [(String, String)] {
        if TunnelCaptures.innerIPv6.contains(name) {
            return [("host 2001:db8:2::10", "ipv6.addr==2001:db8:2::10"), ("port 8080", "tcp.port==8080"), ("tcp", "tcp"),
                    ("ip6 and dst port 80 and src net 2001:db8:1::/64", "tcp.dstport==80 and ipv6.src==2001:db8:1::/64")]
        }
        return [("host 192.0.2.10", "ip.addr==192.0.2.10"), ("port 8080", "tcp.port==8080"), ("tcp", "tcp"),
                ("host 10.1.0.5 and port 80", "ip.addr==10.1.0.5 and tcp.port==80"),
                ("dst host 192.0.2.20 and tcp[tcpflags] & tcp-syn != 0", ""),  // not in the language: filtered out below
                ("tcp and not port 80", "tcp and not tcp.port==80"), ("src net 10.1.0.0/24", "ip.src==10.1.0.0/24")]
            .filter { !$0.1.isEmpty }
    }

    /// Outer terms: tshark's first layer (`#1`) for IP-level tunnels; for the others the only
    /// IP layer there is, which is also the innermost (so `outer T` equals `T`).
    static func outerQueries(_ name: String) -> [(String, String)] {
        if name == "6in6" {
            return [("outer host 2001:db8:ff::1", "ipv6.addr#1==2001:db8:ff::1"), ("outer src host 2001:db8:ff::2", "ipv6.src#1==2001:db8:ff::2"),
                    ("outer ip6 proto 41", "ipv6.nxt#1==41"), ("outer ip", "ip")]
        }
        if TunnelCaptures.ipTunnels.contains(name) {
            return [("outer host 198.51.100.1", "ip.addr#1==198.51.100.1"), ("outer src host 198.51.100.2", "ip.src#1==198.51.100.2"),
                    ("outer proto 47", "ip.proto#1==47"), ("outer ip proto 4", "ip.proto#1==4"), ("outer proto 41", "ip.proto#1==41"),
                    ("outer udp", "ip.proto#1==17"), ("outer tcp", "ip.proto#1==6"), ("outer ip6", "ipv6#1 and not ip"),
                    ("outer dst port 4789 or outer port 6081 or outer udp port 2152", "udp.dstport#1==4789 or udp.port#1==6081 or udp.port#1==2152"),
                    ("outer host 198.51.100.1 and host 192.0.2.20", "ip.addr#1==198.51.100.1 and ip.addr#2==192.0.2.20")]
        }
        return [("outer host 192.0.2.10", "ip.addr==192.0.2.10"), ("outer tcp port 8080", "tcp.port==8080"), ("outer ip", "ip")]
    }

    @Test("inner, outer and tunnel terms select what tshark selects", arguments: TunnelCaptures.names)
    func capture(_ name: String) throws {
        guard let path = TunnelCaptures.path(name) else { return }
        guard TestEnvironment.tshark != nil else {
            print("SKIP: tshark not installed")
            return
        }
        let dir = TempDirectory("vigie-tunnel")
        defer { dir.cleanup() }
        let segments = TestPcap.segments(ofCaptureAt: path)
        try #require(segments.count == 1)
        let segment = try SegmentUnderTest(segments[0], in: dir, name: name)
        let tshark = try TsharkView(path)
        #expect(tshark.protocols.count == segment.pcap.records.count)
        var nonEmpty = 0
        func compare(_ vigie: String, _ expected: [Int], _ reference: String) throws {
            let got = try segment.vigie(vigie)
            #expect(got == expected, "\(name): '\(vigie)' selects \(got.count) frames, tshark '\(reference)' \(expected.count); only Vigie: \(Array(Set(got).subtracting(expected)).sorted().prefix(8)), only tshark: \(Array(Set(expected).subtracting(got)).sorted().prefix(8))")
            let scanned = try segment.vigie(vigie, indexed: false)
            #expect(scanned == got, "\(name): '\(vigie)': scanning disagrees with the index")
            if !expected.isEmpty { nonEmpty += 1 }
        }
        for (q, filter) in Self.innerQueries(name) + Self.outerQueries(name) {
            try compare(q, try tshark.select(filter), filter)
        }
        for (keyword, protocols, fields) in TsharkView.tunnelFields {
            try compare(keyword, tshark.having(protocols), protocols.joined(separator: " or "))
            let maxID: UInt32 = keyword == "vlan" ? 4095 : TunnelTerm(rawValue: keyword)?.maxID ?? 0
            let values = tshark.values(fields)
            for v in values.prefix(4) + [values.last.map { $0 == maxID ? 0 : $0 + 1 } ?? 7].filter({ !values.contains($0) }) {
                try compare("\(keyword) \(v)", tshark.with(fields, v), fields.map { "\($0)==\(v)" }.joined(separator: " or "))
            }
        }
        #expect(nonEmpty >= 5, "\(name): most comparisons must select something")
    }

    /// The corpus captures with encapsulated packets: ERSPAN type I in GRE over fragmented IPv4
    /// (zeek_erspan), PPPoE behind two VLAN tags (pcpp_one_http_stream_rst). tshark reassembles
    /// the outer fragments and shows the tunnel on the frame that completes a datagram, as Vigie
    /// indexes it (the other fragments: outer IP only, on both sides). The innermost IP layer is
    /// tshark's second when there are two, the first otherwise (and none when the innermost
    /// network layer is ARP).
    @Test("corpus captures with tunnels against tshark", arguments: ["zeek_erspan.pcap", "pcpp_one_http_stream_rst.pcap"])
    func corpus(_ file: String) throws {
        let dir = TempDirectory("vigie-tunnel-corpus")
        defer { dir.cleanup() }
        guard let capture = try SegmentUnderTest.corpusCapture(file, in: dir) else { return }
        let (segment, path) = capture
        let encapsulated = Encapsulated.indexes(of: segment.pcap)
        #expect(encapsulated.count >= 10)
        let tshark = try TsharkView(path)
        let sample = TrafficSample(segment.pcap)
        // One IPv4 layer and nothing inside it: the outer IPv4 layer is the innermost.
        let single = "count(ip.src) == 1 and not arp and not ipv6"
        let innermost = { (field: String, value: String) in "(\(single) and \(field)#1 == \(value)) or \(field)#2 == \(value)" }
        var queries: [(String, String)] = [("tcp", "tcp"), ("udp", "udp"), ("icmp", "icmp"), ("ip", "(\(single)) or count(ip.src) == 2"),
                                           ("ip6", "ipv6"), ("arp", "arp")]
        for a in [sample.topIPv4, sample.secondIPv4].compactMap({ $0 }) {
            // `host` also matches ARP sender and target addresses, as BPF's does.
            queries += [("host \(a)", innermost("ip.addr", a) + " or arp.src.proto_ipv4 == \(a) or arp.dst.proto_ipv4 == \(a)"),
                        ("src host \(a)", innermost("ip.src", a) + " or arp.src.proto_ipv4 == \(a)"),
                        ("outer host \(a)", "ip.addr#1 == \(a)"), ("outer dst host \(a)", "ip.dst#1 == \(a)")]
        }
        if let p = sample.topPort { queries += [("port \(p)", "tcp.port == \(p) or udp.port == \(p)"), ("tcp dst port \(p)", "tcp.dstport == \(p)")] }
        queries += [("outer proto 47", "ip.proto#1 == 47"), ("outer ip", "ip"), ("proto 47", "(\(single) and ip.proto == 47) or ip.proto#2 == 47")]
        for (q, filter) in queries {
            let got = try segment.vigie(q), expected = try tshark.select(filter)
            #expect(got == expected, "\(file): '\(q)' selects \(got.count), tshark '\(filter)' \(expected.count); only Vigie: \(Array(Set(got).subtracting(expected)).sorted().prefix(8)), only tshark: \(Array(Set(expected).subtracting(got)).sorted().prefix(8))")
        }
        for (keyword, protocols, fields) in TsharkView.tunnelFields {
            let got = try segment.vigie(keyword), expected = tshark.having(protocols)
            #expect(got == expected, "\(file): '\(keyword)': Vigie \(got.count), tshark \(expected.count)")
            for v in tshark.values(fields).prefix(3) {
                let got = try segment.vigie("\(keyword) \(v)"), expected = tshark.with(fields, v)
                #expect(got == expected, "\(file): '\(keyword) \(v)': Vigie \(got.count), tshark \(expected.count)")
            }
        }
    }

    /// tcpdump's answers on untunnelled packets are kept: `outer T` and `T` select the same packets
    /// on traffic without tunnels, and both equal tcpdump's.
    @Test("outer T equals T on untunnelled traffic")
    func outerOnPlainTraffic() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let segment = try SegmentUnderTest(GeneratedTrafficTests.pcap(GeneratedTrafficTests.random(count: 1500, seed: 7)), in: dir, name: "plain")
        #expect(Encapsulated.indexes(of: segment.pcap).isEmpty)
        for q in ["host 10.1.2.3", "src net 10.1.0.0/16", "port 53", "dst portrange 1-1023", "tcp", "udp", "icmp", "ip", "ip6",
                  "proto 132", "host 2001:db8::1", "tcp port 80", "ip6 proto 58", "src host 10.9.9.9 and dst port 443"] {
            let plain = try segment.vigie(q)
            let outer = try segment.vigie("outer " + q)
            #expect(plain == outer, "'\(q)': \(plain.count) packets, 'outer \(q)': \(outer.count)")
            if TestEnvironment.tcpdump != nil {
                #expect(try segment.tcpdumpSeeingThroughVLANs(q) == plain, "'\(q)' differs from tcpdump")
            }
        }
    }

    /// An index written before the tunnel fields (field set without `tunnels`: no sections 16-24,
    /// no `tunnels` bit in the header) still answers the old terms, from the index, on the outer
    /// packet as BPF reads it; a term that needs the new sections makes that segment scanned.
    @Test("an index without the tunnel sections still answers; new terms scan")
    func oldIndex() throws {
        guard let path = TunnelCaptures.path("vxlan") else { return }
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let pcap = TestPcap.segments(ofCaptureAt: path)[0]
        let old = try SegmentUnderTest(pcap, in: dir, name: "old", fields: [.addresses, .ports, .ipProtocol, .vlan])
        let index = try SegmentIndex.open(path: old.indexPath, checksums: .always)
        #expect(!index.fields.contains(.tunnels))
        try index.verify()
        // Old terms: answered from the index, on the outer packet (BPF's reading).
        let outerHost = try old.vigie("host 198.51.100.1")
        #expect(!outerHost.isEmpty)
        if TestEnvironment.tcpdump != nil { #expect(try old.tcpdump(["host 198.51.100.1"]) == outerHost) }
        #expect(try old.vigie("udp port 4789").count == pcap.records.count)
        #expect(try old.vigie("host 192.0.2.10").isEmpty, "the old index knows only the outer packet")
        // New terms: the segment is scanned (with the current builder), so the answer is right.
        let fresh = try SegmentUnderTest(pcap, in: dir, name: "new")
        for q in ["outer host 198.51.100.1", "vxlan", "vxlan 100", "host 192.0.2.10 and outer udp"] {
            let engine = QueryEngine(segments: [old.ref()])
            var got: [Int] = []
            let stats = try engine.run(QueryRequest(query: try QueryParser.parse(q))) { p in got.append(old.offsets[p.recordOffset]!); return true }
            #expect(stats.segmentsScanned == 1 && stats.segmentsIndexed == 0, "'\(q)' on an old index: \(stats)")
            #expect(got == (try fresh.vigie(q)), "'\(q)': the scan of an old segment differs from a new index")
            // With scanning refused the segment is skipped and said so.
            let strict = try QueryEngine(segments: [old.ref()]).run(QueryRequest(query: try QueryParser.parse(q), allowScan: false)) { _ in true }
            #expect(strict.packets == 0 && strict.problems.contains { $0.contains("no usable index") })
        }
        // Reindexing (what `vigie-agent reindex` does) builds the new sections.
        try SegmentIndexBuilder.reindex(segmentPath: old.path, indexPath: old.indexPath)
        let rebuilt = try SegmentIndex.open(path: old.indexPath, checksums: .always)
        #expect(rebuilt.fields.contains(.tunnels))
        #expect(try old.vigie("host 192.0.2.10") == (try fresh.vigie("host 192.0.2.10")))
    }

    /// Damaged tunnels: every query answers (no trap), the index verifies, and the index agrees
    /// with a scan.
    @Test("hostile tunnels")
    func hostile() throws {
        guard let path = TunnelCaptures.path("hostile") else { return }
        let dir = TempDirectory()
        defer { dir.cleanup() }
        for (i, pcap) in TestPcap.segments(ofCaptureAt: path).enumerated() {
            let segment = try SegmentUnderTest(pcap, in: dir, name: "hostile\(i)")
            try SegmentIndex.open(path: segment.indexPath, checksums: .always).verify()
            for q in ["host 192.0.2.10", "outer host 198.51.100.1", "tcp", "vxlan", "gre", "mpls", "geneve", "gtp", "erspan", "pppoes",
                      "vlan", "not outer ip", "outer udp and not udp"] {
                let a = try segment.vigie(q), b = try segment.vigie(q, indexed: false)
                #expect(a == b, "hostile: '\(q)'")
            }
        }
    }

    /// The same tunnel terms across snapshot chunks of the open segment as in the final index.
    @Test("snapshots of the open segment answer tunnel terms like the final index")
    func snapshots() throws {
        guard let path = TunnelCaptures.path("tenants") else { return }
        let pcap = TestPcap.segments(ofCaptureAt: path)[0]
        let builder = SegmentIndexBuilder(linkType: pcap.linkType)
        var snapshot: SegmentIndexSnapshot?
        for (i, offset) in pcap.recordOffsets.enumerated() {
            pcap.records[i].data.withUnsafeBytes { builder.add(recordOffset: offset, timestampNanos: Int64(i), bytes: $0) }
            if i % 17 == 16 { snapshot = builder.snapshot() }
        }
        snapshot = builder.snapshot()
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let final = try SegmentUnderTest(pcap, in: dir, name: "tenants")
        for q in ["vxlan 100", "vxlan 200", "outer udp port 4789", "host 10.1.0.1 and vxlan 200", "not vxlan 100", "outer host 198.51.100.2"] {
            var got: [Int] = []
            let ref = SegmentRef(id: 1, pcapPath: final.path, snapshot: snapshot, linkType: pcap.linkType, nanosecond: pcap.nanosecond)
            _ = try QueryEngine(segments: [ref]).run(QueryRequest(query: try QueryParser.parse(q))) { p in got.append(final.offsets[p.recordOffset]!); return true }
            #expect(got == (try final.vigie(q)), "snapshot: '\(q)'")
        }
        #expect(try final.vigie("vxlan 100").count == pcap.records.count / 2)
    }
}

@Suite("Tunnel terms: parsing")
struct TunnelTermParsingTests {
    @Test("values and errors", arguments: [
        ("vxlan", nil), ("vxlan 100", nil), ("vxlan 16777215", nil), ("vxlan 16777216", "VXLAN VNI must be 0-16777215"),
        ("geneve 0x10", nil), ("geneve 99999999", "Geneve VNI"), ("mpls 1048575", nil), ("mpls 1048576", "MPLS label must be 0-1048575"),
        ("gre 4294967295", nil), ("gre 4294967296", "GRE key"), ("erspan 1023", nil), ("erspan 1024", "ERSPAN session id"),
        ("pppoes 65535", nil), ("pppoes 65536", "PPPoE session id"), ("gtp 7", nil), ("gtp -1", "unexpected"), ("vlan 4096", "VLAN id"),
        ("outer arp", "'outer' applies to"), ("outer vlan 3", "'outer' applies to"), ("outer vxlan", "'outer' applies to"),
        ("outer outer host 10.0.0.1", "'outer' is given twice"), ("outer", "after 'outer'"), ("outer ether host 0:1:2:3:4:5", "'outer' applies to"),
        ("outer host 10.0.0.1", nil), ("outer tcp port 80", nil), ("outer ip6 proto 41", nil), ("outer src net 10.0.0.0/8", nil),
    ] as [(String, String?)])
    func parse(_ text: String, _ expected: String?) {
        do {
            _ = try QueryParser.parse(text)
            #expect(expected == nil, "'\(text)' parsed; expected an error containing '\(expected ?? "")'")
        } catch {
            #expect(expected != nil && error.description.contains(expected!), "'\(text)': \(error.description)")
        }
    }

    @Test("outer applies to repeated values; gre after proto stays a protocol")
    func structure() throws {
        let a = try #require(IPAddress("10.0.0.1")), b = try #require(IPAddress("10.0.0.2"))
        #expect(try QueryParser.parse("outer host 10.0.0.1 or 10.0.0.2").filter
                == .or(.term(.outer(.address(AddressPrefix(address: a, length: 32), .either))),
                       .term(.outer(.address(AddressPrefix(address: b, length: 32), .either)))))
        #expect(try QueryParser.parse("outer tcp port 80").filter == .and(.term(.outer(.ipProtocol(6, nil))), .term(.outer(.port(80...80, .either)))))
        #expect(try QueryParser.parse("proto tcp or gre").filter == .or(.term(.ipProtocol(6, nil)), .term(.ipProtocol(47, nil))))
        #expect(try QueryParser.parse("proto gre").filter == .term(.ipProtocol(47, nil)))
        #expect(try QueryParser.parse("gre").filter == .term(.tunnel(.gre, nil)))
        #expect(try QueryParser.parse("vxlan 100 or 200").filter == .or(.term(.tunnel(.vxlan, 100)), .term(.tunnel(.vxlan, 200))))
        #expect(try QueryParser.parse("mpls 0x10").filter == .term(.tunnel(.mpls, 16)))
        #expect(try QueryParser.parse("outer host 10.0.0.1").requiredFields.contains(.tunnels))
        #expect(try QueryParser.parse("pppoes").requiredFields == .tunnels)
        #expect(!(try QueryParser.parse("host 10.0.0.1 and vlan 3").requiredFields.contains(.tunnels)))
    }
}
