import Foundation
import PacketDecoding
import Testing
import VigieTestSupport

/// Tunnels and encapsulations against tshark: the captures `tunnel_captures.py` writes (one per
/// encapsulation, the same inner story in each), decoded packet by packet and compared with tshark's
/// innermost layer (`-E occurrence=l`), its outermost one (`-E occurrence=f`) and the tunnel
/// identities; then hostile tunnels, and three corpus captures. Skipped with a message without
/// scapy or tshark (or the corpus, for the corpus part).
@Suite("Tunnel decoding", .enabled(if: TunnelCaptures.isAvailable, TunnelCaptures.skipReason))
struct TunnelDecodingTests {
    /// What one capture must decode to, besides agreeing with tshark.
    struct Expectation {
        var linkType: LinkType = .ethernet
        var innerIPv6 = false
        /// IP-level tunnels between the outermost and the innermost IP header.
        var depth: UInt8 = 0
        /// `TunnelInfo.innermost` (the innermost layer with an identity).
        var innermost: EncapsulationKind? = nil
        var layers: [EncapsulationKind] = []
        /// Identities: the tshark field, which occurrence of it, ours, and the values expected.
        var identities: [Identity] = []
        /// Outer IP family when tunnelled.
        var outerIPv6 = false
    }

    struct Identity {
        var field: String
        var outermost = false
        var ours: (DecodedPacket) -> UInt32?
        var expected: Set<UInt32>
    }

    static func expectation(_ name: String) -> Expectation {
        let vni = Identity(field: "vxlan.vni", ours: { $0.tunnel.vxlanVNI }, expected: [100])
        func erspan(_ session: UInt32?) -> Identity {
            Identity(field: "erspan.spanid", ours: { $0.tunnel.erspanType >= 2 ? UInt32($0.tunnel.erspanSession) : nil },
                     expected: session.map { [$0] } ?? [])
        }
        let bottomLabel = { (p: DecodedPacket) -> UInt32? in
            p.tunnel.mplsLabels.stored > 0 ? p.tunnel.mplsLabels[p.tunnel.mplsLabels.stored - 1] : nil
        }
        let topLabel = { (p: DecodedPacket) -> UInt32? in p.tunnel.mplsLabels.stored > 0 ? p.tunnel.mplsLabels[0] : nil }
        func labels(_ top: UInt32, _ bottom: UInt32) -> [Identity] {
            [Identity(field: "mpls.label", outermost: true, ours: topLabel, expected: [top]),
             Identity(field: "mpls.label", ours: bottomLabel, expected: [bottom])]
        }
        switch name {
        case "vxlan": return Expectation(depth: 1, innermost: .vxlan, layers: [.vxlan], identities: [vni])
        case "geneve":
            return Expectation(depth: 1, innermost: .geneve, layers: [.geneve],
                               identities: [Identity(field: "geneve.vni", ours: { $0.tunnel.geneveVNI }, expected: [300])])
        case "gre", "gre-eth":
            return Expectation(depth: 1, innermost: .gre, layers: [.gre],
                               identities: [Identity(field: "gre.key", ours: { $0.tunnel.hasGREKey ? $0.tunnel.greKey : nil },
                                                     expected: [name == "gre" ? 7 : 8])])
        case "erspan1": return Expectation(depth: 1, innermost: .erspan, layers: [.gre, .erspan], identities: [erspan(nil)])
        case "erspan2": return Expectation(depth: 1, innermost: .erspan, layers: [.gre, .erspan], identities: [erspan(33)])
        case "erspan3": return Expectation(depth: 1, innermost: .erspan, layers: [.gre, .erspan], identities: [erspan(44)])
        case "mpls": return Expectation(innermost: .mpls, layers: [.mpls], identities: labels(16, 17))
        case "mpls-pw-cw": return Expectation(innermost: .mplsPseudowire, layers: [.mpls, .mplsPseudowire], identities: labels(18, 100))
        case "mpls-pw": return Expectation(innermost: .mplsPseudowire, layers: [.mpls, .mplsPseudowire], identities: labels(101, 101))
        case "pppoe":
            return Expectation(innermost: .pppoe, layers: [.pppoe],
                               identities: [Identity(field: "pppoe.session_id", ours: { UInt32($0.tunnel.pppoeSession) }, expected: [0x1234])])
        case "ipip": return Expectation(depth: 1, innermost: .ipInIP, layers: [.ipInIP])
        case "6in4": return Expectation(innerIPv6: true, depth: 1, innermost: .ipInIP, layers: [.ipInIP])
        case "6in6": return Expectation(innerIPv6: true, depth: 1, innermost: .ipInIP, layers: [.ipInIP], outerIPv6: true)
        case "gtpu":
            return Expectation(depth: 1, innermost: .gtpU, layers: [.gtpU],
                               identities: [Identity(field: "gtp.teid", ours: { $0.tunnel.gtpTEID }, expected: [0x1001, 0x2002])])
        case "vlan3":
            return Expectation(layers: [.vlan], identities: [
                Identity(field: "ieee8021ad.id", outermost: true, ours: { $0.tunnel.vlanIDs.stored > 0 ? $0.tunnel.vlanIDs[0] : nil }, expected: [100]),
                Identity(field: "vlan.id", ours: { $0.tunnel.vlanIDs.stored == 3 ? $0.tunnel.vlanIDs[2] : nil }, expected: [300]),
            ])
        case "llc": return Expectation(layers: [.llcSNAP])
        case "wifi": return Expectation(linkType: .ieee80211, layers: [.llcSNAP])
        case "radiotap": return Expectation(linkType: .radiotap, layers: [.llcSNAP])
        default: return Expectation()
        }
    }

    @Test("innermost packet, outer endpoints and identities agree with tshark", arguments: TunnelCaptures.names)
    func agreesWithTshark(name: String) throws {
        let path = try TunnelCaptures.path(name)
        let expected = Self.expectation(name)
        let packets = try TunnelCaptures.decodeAll(path)
        #expect(TestCaptureReader(contentsOf: path)?.packets.first?.linkType == expected.linkType)
        let innermost = try TsharkOccurrence(file: path, occurrence: "l")
        let outermost = try TsharkOccurrence(file: path, occurrence: "f")
        try #require(packets.count == TunnelCaptures.storyPackets, "\(name): \(packets.count) packets")
        try #require(innermost.frames.count == packets.count && outermost.frames.count == packets.count,
                     "\(name): tshark printed \(innermost.frames.count)/\(outermost.frames.count) rows for \(packets.count) packets")

        var mismatches: [String] = []
        var identitiesSeen = [Set<UInt32>](repeating: [], count: expected.identities.count)
        var syns = 0, resets = 0
        for (index, p) in packets.enumerated() {
            let inner = innermost.frames[index], outer = outermost.frames[index]
            var problems: [String] = []
            func check(_ ok: Bool, _ what: @autoclosure () -> String) { if !ok { problems.append(what()) } }

            // What our decoder says on its own.
            check(p.anomaly == .none, "anomaly \(p.anomaly)")
            check(p.network == (expected.innerIPv6 ? .ipv6 : .ipv4), "network \(p.network)")
            check(p.transport == .tcp, "transport \(p.transport)")
            check(p.tunnel.depth == expected.depth, "depth \(p.tunnel.depth)")
            check(p.tunnel.innermost == expected.innermost, "innermost \(String(describing: p.tunnel.innermost))")
            for kind in expected.layers { check(p.tunnel.layers.contains(kind), "layers lack \(kind)") }
            check(p.tunnel.isTunnelled == (expected.depth > 0), "isTunnelled \(p.tunnel.isTunnelled)")

            // Innermost layer: tshark's last occurrence.
            let family = expected.innerIPv6 ? "ipv6" : "ip"
            check(IPAddress(inner["\(family).src"] ?? "") == p.src && IPAddress(inner["\(family).dst"] ?? "") == p.dst,
                  "inner ours \(p.src)->\(p.dst) tshark \(inner["\(family).src"] ?? "")->\(inner["\(family).dst"] ?? "")")
            check(inner["tcp.srcport"] == String(p.srcPort) && inner["tcp.dstport"] == String(p.dstPort),
                  "ports ours \(p.srcPort)->\(p.dstPort) tshark \(inner["tcp.srcport"] ?? "")->\(inner["tcp.dstport"] ?? "")")

            // Outermost layer: tshark's first occurrence.
            if expected.depth > 0 {
                let outerFamily = expected.outerIPv6 ? "ipv6" : "ip"
                check(p.tunnel.outerNetwork == (expected.outerIPv6 ? .ipv6 : .ipv4), "outer network \(p.tunnel.outerNetwork)")
                check(IPAddress(outer["\(outerFamily).src"] ?? "") == p.tunnel.outerSrc && IPAddress(outer["\(outerFamily).dst"] ?? "") == p.tunnel.outerDst,
                      "outer ours \(p.tunnel.outerSrc)->\(p.tunnel.outerDst) tshark \(outer["\(outerFamily).src"] ?? "")->\(outer["\(outerFamily).dst"] ?? "")")
                // The two directions of a conversation arrive with swapped outer endpoints.
                let clientToServer = p.dstPort == 80 || p.dstPort == 8080
                let clientSide = IPAddress(expected.outerIPv6 ? "2001:db8:ff::1" : "198.51.100.1")
                check((p.tunnel.outerSrc == clientSide) == clientToServer, "outer \(p.tunnel.outerSrc) for a packet to port \(p.dstPort)")
                if p.tunnel.innermost == .vxlan || p.tunnel.innermost == .geneve || p.tunnel.innermost == .gtpU {
                    check(outer["udp.dstport"] == String(p.tunnel.outerDstPort) && outer["udp.srcport"] == String(p.tunnel.outerSrcPort),
                          "outer ports ours \(p.tunnel.outerSrcPort)->\(p.tunnel.outerDstPort) tshark \(outer["udp.srcport"] ?? "")->\(outer["udp.dstport"] ?? "")")
                } else {
                    check(p.tunnel.outerSrcPort == 0 && p.tunnel.outerDstPort == 0, "outer ports on a non-UDP tunnel")
                }
            } else {
                // No IP-level tunnel: the first IP header is the innermost one.
                let family = expected.innerIPv6 ? "ipv6" : "ip"
                check(IPAddress(outer["\(family).src"] ?? "") == p.src, "tshark's first IP \(outer["\(family).src"] ?? "") is not ours \(p.src)")
                check(p.tunnel.outerSrc == .zero && p.tunnel.outerNetwork == .none, "outer fields set without a tunnel")
            }

            // Identities.
            for (i, identity) in expected.identities.enumerated() {
                let theirs = TsharkOccurrence.number((identity.outermost ? outer : inner)[identity.field])
                let ours = identity.ours(p)
                check(theirs == ours, "\(identity.field) ours \(ours.map(String.init) ?? "-") tshark \(theirs.map(String.init) ?? "-")")
                if let ours { identitiesSeen[i].insert(ours) }
            }
            if p.tcp.flags == .syn { syns += 1 }
            if p.tcp.flags == [.rst, .ack] { resets += 1 }
            if !problems.isEmpty { mismatches.append("frame \(index + 1): " + problems.joined(separator: "; ")) }
        }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) mismatches, first: \(mismatches.prefix(6).joined(separator: " | "))")
        for (i, identity) in expected.identities.enumerated() {
            #expect(identitiesSeen[i] == identity.expected, "\(name): \(identity.field) values \(identitiesSeen[i].sorted())")
        }
        #expect(syns == 40 && resets == 20, "\(name): \(syns) SYNs, \(resets) RST-ACKs")
    }

    /// Every prefix of each capture's first packet (a SYN, so the frame ends with the inner TCP
    /// header): a strict prefix always reports an anomaly, never traps, keeps its offsets in the
    /// buffer, and its fields describe either the innermost packet or the outer one.
    @Test("every prefix of a tunnelled SYN is an anomaly", arguments: TunnelCaptures.names)
    func prefixes(name: String) throws {
        let capture = try #require(TestCaptureReader(contentsOf: try TunnelCaptures.path(name)))
        let frame = try #require(capture.packets.first)
        let full = frame.bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: frame.linkType) }
        try #require(full.anomaly == .none && full.tcp.flags == .syn, "\(name): \(full.anomaly)")
        var problems: [String] = []
        for length in 0..<frame.bytes.count {
            let p = frame.bytes.withUnsafeBytes { PacketDecoder.decode(UnsafeRawBufferPointer(rebasing: $0.prefix(length)), linkType: frame.linkType) }
            var ok = p.anomaly != .none && p.payloadOffset + p.payloadLength <= length && p.networkOffset <= length
                && p.tunnel.depth <= full.tunnel.depth
            if (p.network == .ipv4 || p.network == .ipv6) && p.src != .zero {
                ok = ok && p.src == (p.tunnel.depth == full.tunnel.depth ? full.src : full.tunnel.outerSrc)
            }
            if !ok { problems.append("\(length) bytes: \(p.anomaly), \(p.network) \(p.src), depth \(p.tunnel.depth)") }
        }
        #expect(problems.isEmpty, "\(name): \(problems.count) prefixes wrong, first: \(problems.prefix(4).joined(separator: " | "))")
    }

    @Test func vlanStackKeepsEveryTag() throws {
        for p in try TunnelCaptures.decodeAll(TunnelCaptures.path("vlan3")) {
            let ids = p.tunnel.vlanIDs
            #expect(ids.count == 3 && ids[0] == 100 && ids[1] == 200 && ids[2] == 300)
            #expect(p.vlanCount == 3 && p.outerVLAN == 100 && p.innerVLAN == 200)
        }
    }

    /// Two tenants with the same inner addresses and ports: only the VNI tells them apart.
    @Test func tenantsDifferOnlyByVNI() throws {
        let path = try TunnelCaptures.path("tenants")
        let packets = try TunnelCaptures.decodeAll(path)
        let tshark = try TsharkOccurrence(file: path, occurrence: "l")
        try #require(packets.count == 2 * 5 * 9 && tshark.frames.count == packets.count)
        var flows: [UInt32: Set<String>] = [:]
        for (index, p) in packets.enumerated() {
            #expect(p.anomaly == .none && p.tunnel.innermost == .vxlan && p.transport == .tcp)
            #expect(p.tunnel.vxlanVNI == (index % 2 == 0 ? 100 : 200), "frame \(index + 1): VNI \(p.tunnel.vxlanVNI)")
            #expect(TsharkOccurrence.number(tshark.frames[index]["vxlan.vni"]) == p.tunnel.vxlanVNI)
            #expect(IPAddress(tshark.frames[index]["ip.src"] ?? "") == p.src && tshark.frames[index]["tcp.srcport"] == String(p.srcPort))
            flows[p.tunnel.vxlanVNI, default: []].insert("\(p.src):\(p.srcPort)>\(p.dst):\(p.dstPort)")
        }
        #expect(flows.count == 2 && flows[100] == flows[200] && flows[100]?.count == 10)
    }

    /// ERSPAN II where each direction of a conversation is mirrored in its own session.
    @Test func erspanSessionsPerDirection() throws {
        let path = try TunnelCaptures.path("erspan-sessions")
        let packets = try TunnelCaptures.decodeAll(path)
        let tshark = try TsharkOccurrence(file: path, occurrence: "l")
        try #require(packets.count == TunnelCaptures.storyPackets && tshark.frames.count == packets.count)
        for (index, p) in packets.enumerated() {
            let clientToServer = p.dstPort == 80 || p.dstPort == 8080
            #expect(p.anomaly == .none && p.tunnel.innermost == .erspan && p.tunnel.erspanType == 2)
            #expect(p.tunnel.erspanSession == (clientToServer ? 1 : 2), "frame \(index + 1): session \(p.tunnel.erspanSession)")
            #expect(TsharkOccurrence.number(tshark.frames[index]["erspan.spanid"]) == UInt32(p.tunnel.erspanSession))
            #expect(IPAddress(tshark.frames[index]["ip.dst"] ?? "") == p.dst && tshark.frames[index]["tcp.dstport"] == String(p.dstPort))
        }
    }

    // MARK: Hostile tunnels

    /// What each packet of hostile.pcap (in the script's order) must decode to.
    struct HostileCase: Sendable, CustomTestStringConvertible {
        var index: Int
        var name: String
        var anomaly: DecodeAnomaly
        /// The deepest layer decoded: its addresses, IP protocol and tunnel depth.
        var src: String
        var dst: String
        var ipProtocol: UInt8
        var depth: UInt8 = 0
        var testDescription: String { "\(index) \(name)" }
    }

    static let outerSrc = "198.51.100.1", outerDst = "198.51.100.2"
    static let hostile: [HostileCase] = [
        HostileCase(index: 0, name: "vxlan header truncated", anomaly: .truncatedTunnel, src: outerSrc, dst: outerDst, ipProtocol: 17),
        HostileCase(index: 1, name: "gre header truncated", anomaly: .truncatedTunnel, src: outerSrc, dst: outerDst, ipProtocol: 47),
        HostileCase(index: 2, name: "geneve header truncated", anomaly: .truncatedTunnel, src: outerSrc, dst: outerDst, ipProtocol: 17),
        HostileCase(index: 3, name: "gtp header truncated", anomaly: .truncatedTunnel, src: outerSrc, dst: outerDst, ipProtocol: 17),
        HostileCase(index: 4, name: "gre key flag at capture end", anomaly: .truncatedTunnel, src: outerSrc, dst: outerDst, ipProtocol: 47),
        HostileCase(index: 5, name: "geneve option length past packet", anomaly: .badTunnelHeader, src: outerSrc, dst: outerDst, ipProtocol: 17),
        HostileCase(index: 6, name: "gtp extension length 0", anomaly: .badTunnelHeader, src: outerSrc, dst: outerDst, ipProtocol: 17),
        // Eight GRE layers are walked (maxTunnelDepth); the ninth is refused: the fields describe
        // the eighth inner IP header.
        HostileCase(index: 7, name: "gre nested 12 deep", anomaly: .tooManyEncapsulations, src: "10.99.8.1", dst: "10.99.8.2", ipProtocol: 47,
                    depth: UInt8(PacketDecoder.maxTunnelDepth)),
        HostileCase(index: 8, name: "gre protocol 0x1234", anomaly: .unknownTunnelPayload, src: outerSrc, dst: outerDst, ipProtocol: 47),
        HostileCase(index: 9, name: "erspan3 unknown frame type", anomaly: .unknownTunnelPayload, src: outerSrc, dst: outerDst, ipProtocol: 47),
        HostileCase(index: 10, name: "vxlan I flag clear", anomaly: .badTunnelHeader, src: outerSrc, dst: outerDst, ipProtocol: 17),
        HostileCase(index: 11, name: "vxlan inner ethernet truncated", anomaly: .truncatedTunnel, src: outerSrc, dst: outerDst, ipProtocol: 17),
        HostileCase(index: 12, name: "vxlan inner ipv4 truncated", anomaly: .truncatedTunnel, src: outerSrc, dst: outerDst, ipProtocol: 17),
        HostileCase(index: 13, name: "ipip inner bad version", anomaly: .badIPVersion, src: outerSrc, dst: outerDst, ipProtocol: 4),
        HostileCase(index: 14, name: "gtp non-ip payload", anomaly: .unknownTunnelPayload, src: outerSrc, dst: outerDst, ipProtocol: 17),
        HostileCase(index: 15, name: "geneve version 1", anomaly: .badTunnelHeader, src: outerSrc, dst: outerDst, ipProtocol: 17),
        HostileCase(index: 16, name: "erspan2 wrong version", anomaly: .badTunnelHeader, src: outerSrc, dst: outerDst, ipProtocol: 47),
        HostileCase(index: 17, name: "gre version 1", anomaly: .none, src: outerSrc, dst: outerDst, ipProtocol: 47),
        HostileCase(index: 18, name: "mpls 9 labels", anomaly: .tooManyEncapsulations, src: "::", dst: "::", ipProtocol: 0),
        HostileCase(index: 19, name: "mpls unknown payload", anomaly: .unknownTunnelPayload, src: "::", dst: "::", ipProtocol: 0),
        HostileCase(index: 20, name: "gtp length short of optional fields", anomaly: .badTunnelHeader, src: outerSrc, dst: outerDst, ipProtocol: 17),
        HostileCase(index: 21, name: "vxlan in gre in vxlan", anomaly: .none, src: "10.1.0.1", dst: "192.0.2.10", ipProtocol: 6, depth: 3),
        HostileCase(index: 22, name: "erspan3 ip frame type, empty", anomaly: .truncatedTunnel, src: outerSrc, dst: outerDst, ipProtocol: 47),
        HostileCase(index: 23, name: "erspan3 o bit past packet", anomaly: .truncatedTunnel, src: outerSrc, dst: outerDst, ipProtocol: 47),
        HostileCase(index: 24, name: "vxlan bad udp length, inner ipv4 truncated", anomaly: .badUDPLength, src: outerSrc, dst: outerDst, ipProtocol: 17),
        HostileCase(index: 25, name: "gtp s flag only, stray next-extension byte", anomaly: .none, src: "10.1.0.1", dst: "192.0.2.10", ipProtocol: 6, depth: 1),
    ]

    @Test("hostile tunnel packets decode to the named anomaly", arguments: hostile)
    func hostilePacket(_ c: HostileCase) throws {
        let packets = try TunnelCaptures.decodeAll(TunnelCaptures.path("hostile"))
        try #require(packets.count == Self.hostile.count, "hostile.pcap has \(packets.count) packets, the table \(Self.hostile.count)")
        let p = packets[c.index]
        #expect(p.anomaly == c.anomaly, "\(c.name): anomaly \(p.anomaly)")
        #expect(p.src == IPAddress(c.src) && p.dst == IPAddress(c.dst), "\(c.name): fields \(p.src)->\(p.dst)")
        #expect(p.ipProtocol == c.ipProtocol, "\(c.name): ip protocol \(p.ipProtocol)")
        #expect(p.tunnel.depth == c.depth, "\(c.name): depth \(p.tunnel.depth)")
        if c.depth > 0 {
            #expect(p.tunnel.outerSrc == IPAddress(Self.outerSrc) && p.tunnel.outerDst == IPAddress(Self.outerDst))
        } else {
            #expect(p.tunnel.outerSrc == .zero, "\(c.name): outer fields kept from an abandoned tunnel")
        }
        // Offsets stay inside the captured bytes.
        #expect(p.payloadOffset + p.payloadLength <= p.capturedLength && p.networkOffset <= p.capturedLength)
    }

    @Test func hostileDetails() throws {
        let packets = try TunnelCaptures.decodeAll(TunnelCaptures.path("hostile"))
        try #require(packets.count == Self.hostile.count)
        let nested = packets[7]
        #expect(nested.tunnel.nesting == UInt8(PacketDecoder.maxTunnelDepth) && nested.tunnel.innermost == .gre)
        let labels = packets[18]
        #expect(labels.tunnel.mplsLabels.count == 8 && labels.tunnel.mplsLabels[0] == 16)
        let triple = packets[21]
        #expect(triple.tunnel.innermost == .vxlan && triple.tunnel.vxlanVNI == 100 && triple.tunnel.hasGREKey && triple.tunnel.greKey == 5)
        #expect(triple.tunnel.layers.contains(.vxlan) && triple.tunnel.layers.contains(.gre) && triple.srcPort == 40000 && triple.dstPort == 80)
        #expect(triple.tunnel.outerDstPort == 4789)
    }

    // MARK: Corpus

    /// Corpus captures whose encapsulations are now decoded: inner addresses and ports per frame
    /// against tshark's innermost layer.
    @Test(
        "corpus encapsulations agree with tshark's innermost layer",
        .enabled(if: Corpus.directory != nil, "shared corpus (<package>/../shared/corpus) not found: skipping"),
        arguments: ["zeek_llc.pcap", "zeek_radiotap.pcap", "tcpdump_802.1ad_QinQ.pcap", "zeek_erspan.pcap"]
    )
    func corpusInnermost(file: String) throws {
        let path = try #require(Corpus.directory) + "/" + file
        guard FileManager.default.fileExists(atPath: path) else {
            print("tunnel corpus \(file): absent from the corpus, skipped")
            return
        }
        let packets = try TunnelCaptures.decodeAll(path)
        let tshark = try TsharkOccurrence(file: path, occurrence: "l")
        try #require(tshark.frames.count == packets.count, "\(file): \(packets.count) packets, tshark \(tshark.frames.count)")
        var compared = 0, skippedFragments = 0, vlanTagged = 0
        var mismatches: [String] = []
        for (index, p) in packets.enumerated() {
            let t = tshark.frames[index]
            // zeek_erspan's outer packets are partly fragmented: their inside needs reassembly
            // (done by the capture path, not the decoder); compare the unfragmented ones only.
            if p.fragment.isFragment || (p.tunnel.depth == 0 && p.ipProtocol == 47 && p.anomaly != .none) {
                skippedFragments += 1
                continue
            }
            let family = p.network == .ipv6 ? "ipv6" : "ip"
            switch p.network {
            case .ipv4, .ipv6:
                compared += 1
                if IPAddress(t["\(family).src"] ?? "") != p.src || IPAddress(t["\(family).dst"] ?? "") != p.dst {
                    mismatches.append("frame \(index + 1): ours \(p.src)->\(p.dst) tshark \(t["\(family).src"] ?? "")->\(t["\(family).dst"] ?? "")")
                }
                if p.transport == .tcp || p.transport == .udp {
                    let name = p.transport == .tcp ? "tcp" : "udp"
                    if t["\(name).srcport"] != String(p.srcPort) || t["\(name).dstport"] != String(p.dstPort) {
                        mismatches.append("frame \(index + 1): \(name) ours \(p.srcPort)->\(p.dstPort) tshark \(t["\(name).srcport"] ?? "")->\(t["\(name).dstport"] ?? "")")
                    }
                }
            default:
                compared += 1
                if p.tunnel.depth > 0 {
                    // ARP (say) inside a tunnel: tshark's last IP header is the outer one.
                    let outer = p.tunnel.outerNetwork == .ipv6 ? "ipv6" : "ip"
                    if IPAddress(t["\(outer).src"] ?? "") != p.tunnel.outerSrc || IPAddress(t["\(outer).dst"] ?? "") != p.tunnel.outerDst {
                        mismatches.append("frame \(index + 1): \(p.network) inside a tunnel from \(p.tunnel.outerSrc)->\(p.tunnel.outerDst), tshark's last IP \(t["\(outer).src"] ?? "")->\(t["\(outer).dst"] ?? "")")
                    }
                } else if !(t["ip.src"] ?? "").isEmpty || !(t["ipv6.src"] ?? "").isEmpty {
                    mismatches.append("frame \(index + 1): tshark has IP, we \(p.network) (anomaly \(p.anomaly))")
                }
            }
            // VLAN tags: tshark's last 802.1Q tag is our last one; its 802.1ad S-tag our first.
            let tags = p.tunnel.vlanIDs
            if let last = TsharkOccurrence.number(t["vlan.id"]), tags.stored == 0 || tags[tags.stored - 1] != last {
                mismatches.append("frame \(index + 1): last VLAN tshark \(last), ours \(tags.stored > 0 ? tags[tags.stored - 1] : 0)")
            }
            if let sTag = TsharkOccurrence.number(t["ieee8021ad.id"]), p.tunnel.depth == 0, tags.stored == 0 || tags[0] != sTag {
                mismatches.append("frame \(index + 1): 802.1ad tag tshark \(sTag), ours \(tags.stored > 0 ? tags[0] : 0)")
            }
            if tags.count > 0 { vlanTagged += 1 }
        }
        print("tunnel corpus \(file): \(packets.count) packets, \(compared) compared, \(skippedFragments) fragments skipped, \(vlanTagged) VLAN-tagged, \(mismatches.count) mismatches")
        #expect(compared > 0, "\(file): nothing compared")
        #expect(mismatches.isEmpty, "\(file): \(mismatches.prefix(6).joined(separator: " | "))")
    }
}
