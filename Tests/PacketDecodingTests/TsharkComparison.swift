import PacketDecoding
import VigieTestSupport

/// Compares one decoded packet with tshark's view of the same frame.
///
/// What is compared: addresses, IPv4 protocol / IPv6 final next header, TCP/UDP/SCTP ports,
/// VLAN ids, ICMP type, and for ICMP errors the quoted addresses and ports. For a packet the
/// decoder walked into a tunnel (`tunnel.depth > 0`) our fields describe the innermost packet:
/// they are compared with tshark's last occurrences (the one before the quote for an ICMP error
/// quoting the same IP version), and `tunnel.outerSrc/outerDst` with its first.
///
/// What is excluded, and why:
/// - Link types we do not decode (ARCNET, netlink): we must report
///   `.unsupportedLink`; tshark's fields are not compared.
/// - Tunnels the decoder does not enter (EtherIP, L2TP, Teredo, PPTP's GRE, and GRE/IP-in-IP or
///   UDP tunnels in an outer fragment): tshark also dissects the *inner* packet, we stop at the
///   outer one. Outer addresses and protocol are still compared; inner ports and VLAN tags are not.
/// - Inside ICMP errors tshark dissects the quoted packet: those occurrences are compared with
///   `quoted`, never with the packet's own fields.
struct TsharkComparison {
    var compared = 0
    var addressesCompared = 0
    var portsCompared = 0
    var quotesCompared = 0
    var unsupportedLinkPackets = 0
    var tunnelPackets = 0
    /// Packets the decoder walked into (`tunnel.depth > 0`), compared on their innermost layer.
    var enteredTunnelPackets = 0
    var mismatches: [String] = []

    /// IP protocols whose payload tshark dissects as another packet.
    static let tunnelProtocols: Set<UInt8> = [4, 41, 47, 97, 115]
    /// UDP ports of tunnels tshark dissects by default (VXLAN, Teredo, GTP-U, Geneve, L2TP).
    static let tunnelPorts: Set<UInt16> = [4789, 3544, 2152, 6081, 1701]

    mutating func compare(frame number: Int, linkType: LinkType, _ p: DecodedPacket, _ t: [String: [String]]) {
        compared += 1
        var problems: [String] = []
        func check(_ ok: Bool, _ what: @autoclosure () -> String) { if !ok { problems.append(what()) } }
        defer { if !problems.isEmpty { mismatches.append("frame \(number): " + problems.joined(separator: "; ")) } }

        guard linkType.isSupported else {
            unsupportedLinkPackets += 1
            check(p.anomaly == .unsupportedLink, "unsupported link decoded as \(p.anomaly)")
            return
        }
        // A tunnel the decoder did not enter (but tshark does).
        let tunnelled = (p.network == .ipv4 || p.network == .ipv6)
            && (Self.tunnelProtocols.contains(p.ipProtocol)
                || (p.transport == .udp && (Self.tunnelPorts.contains(p.srcPort) || Self.tunnelPorts.contains(p.dstPort))))
        if tunnelled { tunnelPackets += 1 }
        let entered = p.tunnel.depth > 0
        if entered { enteredTunnelPackets += 1 }

        // The occurrence describing the packet our fields describe: the first, or inside an entered
        // tunnel the last (the one before an ICMP error's quote of the same family).
        func ours(_ values: [String]?, quoteFollows: Bool = false) -> String? {
            guard let values, !values.isEmpty else { return nil }
            guard entered else { return values.first }
            let index = values.count - 1 - (quoteFollows ? 1 : 0)
            return index >= 0 ? values[index] : nil
        }

        // VLAN ids. tshark names 802.1ad S-tags `ieee8021ad.id` and 802.1Q tags `vlan.id`; the S-tag
        // is the outer one. `tunnel.vlanIDs` keeps every tag at every depth, outermost first.
        let tsharkTags = ((t["ieee8021ad.id"] ?? []) + (t["vlan.id"] ?? [])).compactMap { UInt32($0) }
        let ids = p.tunnel.vlanIDs
        let ourTags = (0..<min(ids.stored, 2)).map { ids[$0] }
        check(Array(tsharkTags.prefix(ourTags.count)) == ourTags, "vlan ours \(ourTags) tshark \(tsharkTags)")
        if !tunnelled { check(tsharkTags.count == Int(ids.count), "vlan count ours \(ids.count) tshark \(tsharkTags.count)") }

        // The outer layer of an entered tunnel.
        if entered {
            let family = p.tunnel.outerNetwork == .ipv6 ? "ipv6" : "ip"
            let src = t["\(family).src"]?.first, dst = t["\(family).dst"]?.first
            check(IPAddress(src ?? "") == p.tunnel.outerSrc && IPAddress(dst ?? "") == p.tunnel.outerDst,
                  "outer ours \(p.tunnel.outerSrc)->\(p.tunnel.outerDst) tshark \(src ?? "-")->\(dst ?? "-")")
        }

        // Network layer.
        switch p.network {
        case .ipv4:
            let quote = p.quoted.isPresent && p.quoted.src.isIPv4
            guard let src = ours(t["ip.src"], quoteFollows: quote), let dst = ours(t["ip.dst"], quoteFollows: quote) else {
                check(p.src == .zero, "we decoded IPv4 \(p.src), tshark has no IPv4 (anomaly \(p.anomaly))")
                break
            }
            addressesCompared += 1
            check(IPAddress(src) == p.src && IPAddress(dst) == p.dst, "ipv4 ours \(p.src)->\(p.dst) tshark \(src)->\(dst)")
            check(ours(t["ip.proto"], quoteFollows: quote).flatMap { UInt8($0) } == p.ipProtocol, "ip.proto ours \(p.ipProtocol) tshark \(t["ip.proto"] ?? [])")
        case .ipv6:
            let quote = p.quoted.isPresent && !p.quoted.src.isIPv4
            guard let src = ours(t["ipv6.src"], quoteFollows: quote), let dst = ours(t["ipv6.dst"], quoteFollows: quote) else {
                check(p.src == .zero, "we decoded IPv6 \(p.src), tshark has no IPv6 (anomaly \(p.anomaly))")
                break
            }
            addressesCompared += 1
            check(IPAddress(src) == p.src && IPAddress(dst) == p.dst, "ipv6 ours \(p.src)->\(p.dst) tshark \(src)->\(dst)")
            if !entered, let final = Self.finalNextHeader(t) {
                check(final == p.ipProtocol, "final next header ours \(p.ipProtocol) tshark \(final)")
            }
        default:
            check(entered || (t["ip.src"] == nil && t["ipv6.src"] == nil),
                  "tshark found IP (\(t["ip.src"] ?? t["ipv6.src"] ?? [])) where we found \(p.network), etherType \(p.etherType), anomaly \(p.anomaly)")
        }

        // Transport layer.
        let tsharkPorts: [(TransportLayer, String)] = [(.tcp, "tcp"), (.udp, "udp"), (.sctp, "sctp")]
        switch p.transport {
        case .tcp, .udp, .sctp:
            let name = tsharkPorts.first { $0.0 == p.transport }!.1
            let src = ours(t["\(name).srcport"]), dst = ours(t["\(name).dstport"])
            check(src == String(p.srcPort) && dst == String(p.dstPort), "\(name) ports ours \(p.srcPort)->\(p.dstPort) tshark \(src ?? "-")->\(dst ?? "-")")
            portsCompared += 1
        case .icmp, .icmpv6:
            let typeField = p.transport == .icmp ? "icmp.type" : "icmpv6.type"
            check(ours(t[typeField]) == String(p.icmpType), "\(typeField) ours \(p.icmpType) tshark \(t[typeField] ?? [])")
            if p.quoted.isPresent { compareQuote(p, t, check) }
        case .none, .other:
            if !tunnelled && !entered {
                for (_, name) in tsharkPorts {
                    check(t["\(name).srcport"] == nil, "tshark found \(name) ports \(t["\(name).srcport"] ?? []) where we decoded \(p.transport) (proto \(p.ipProtocol), anomaly \(p.anomaly))")
                }
            }
        }
    }

    /// ICMP errors: tshark's second IP occurrence is the quoted header, and its first TCP/UDP/SCTP
    /// ports are the quoted ones (the outer packet has none).
    private mutating func compareQuote(_ p: DecodedPacket, _ t: [String: [String]], _ check: (Bool, @autoclosure () -> String) -> Void) {
        quotesCompared += 1
        let family = p.quoted.src.isIPv4 ? "ip" : "ipv6"
        let srcs = t["\(family).src"] ?? [], dsts = t["\(family).dst"] ?? []
        // The packet's own header is the occurrence before the quote when it has the same family as
        // the quote (the first one, or inside an entered tunnel the one before the last).
        let sameFamily = (p.network == .ipv4) == p.quoted.src.isIPv4
        let index = p.tunnel.depth > 0 ? srcs.count - 1 : (sameFamily ? 1 : 0)
        check(index >= 0 && srcs.count > index && dsts.count > index && IPAddress(srcs[index]) == p.quoted.src && IPAddress(dsts[index]) == p.quoted.dst,
              "quoted addresses ours \(p.quoted.src)->\(p.quoted.dst) tshark \(srcs)->\(dsts)")
        guard p.quoted.hasPorts else { return }
        let name = p.quoted.ipProtocol == 6 ? "tcp" : p.quoted.ipProtocol == 17 ? "udp" : "sctp"
        let ports = p.tunnel.depth > 0 ? { (v: [String]?) in v?.last } : { (v: [String]?) in v?.first }
        let src = ports(t["\(name).srcport"]), dst = ports(t["\(name).dstport"])
        check(src == String(p.quoted.srcPort) && dst == String(p.quoted.dstPort),
              "quoted \(name) ports ours \(p.quoted.srcPort)->\(p.quoted.dstPort) tshark \(src ?? "-")->\(dst ?? "-")")
    }

    /// Follows tshark's outer extension-header chain: `ipv6.nxt`, then each extension header's own
    /// next-header field, consuming occurrences in order. `nil` when tshark stopped early.
    static func finalNextHeader(_ t: [String: [String]]) -> UInt8? {
        guard var next = t["ipv6.nxt"]?.first.flatMap({ UInt8($0) }) else { return nil }
        let fieldFor: [UInt8: String] = [0: "ipv6.hopopts.nxt", 43: "ipv6.routing.nxt", 44: "ipv6.fraghdr.nxt", 60: "ipv6.dstopts.nxt", 51: "ah.next_header"]
        var used: [String: Int] = [:]
        for _ in 0..<10 {
            guard let field = fieldFor[next] else { return next }
            let index = used[field, default: 0]
            guard let values = t[field], index < values.count, let value = UInt8(values[index]) else { return nil }
            used[field] = index + 1
            next = value
        }
        return next
    }
}
