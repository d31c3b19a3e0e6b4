import Foundation
import Indexer
import Testing
import VigieTestSupport

/// NFLOG (239), IPoIB (242) and the Broadcom tag (281): libpcap 1.10 filters none of them ("link-layer
/// type filtering not implemented"), so the corpus matrix against tcpdump excludes them, and the
/// index is compared here with tshark's display filters instead. tshark 4.0 cannot read 281: its
/// answers for that file come from an untagged Ethernet copy (same frames, same order).
@Suite("Link types libpcap cannot filter: Vigie's queries against tshark")
struct LinkTypeQueryTests {
    @Test("network and transport terms select what tshark selects",
          arguments: ["zeek_nflog-http.pcap", "tcpdump_ipoib.pcap", "tcpdump_brcm-tag.pcap"])
    func corpus(_ file: String) throws {
        let dir = TempDirectory("vigie-link-type")
        defer { dir.cleanup() }
        guard let capture = try SegmentUnderTest.corpusCapture(file, in: dir) else { return }
        let (segment, path) = capture
        let reference = segment.pcap.linkType == 281 ? try BroadcomTagCapture.untaggedCopy(ofCaptureAt: path, in: dir.path) : path
        let tshark = try TsharkView(reference)
        #expect(tshark.protocols.count == segment.pcap.records.count)
        let sample = TrafficSample(segment.pcap)
        var queries: [(String, String)] = [("tcp", "tcp"), ("udp", "udp"), ("icmp", "icmp"), ("ip", "ip"), ("ip6", "ipv6"), ("arp", "arp")]
        for a in [sample.topIPv4, sample.secondIPv4].compactMap({ $0 }) {
            // `host` also matches ARP sender and target addresses, as BPF's does.
            queries += [("host \(a)", "ip.addr == \(a) or arp.src.proto_ipv4 == \(a) or arp.dst.proto_ipv4 == \(a)"),
                        ("src host \(a)", "ip.src == \(a) or arp.src.proto_ipv4 == \(a)"),
                        ("dst host \(a)", "ip.dst == \(a) or arp.dst.proto_ipv4 == \(a)"),
                        ("icmp and host \(a)", "icmp and ip.addr == \(a)")]
        }
        if let p = sample.topPort {
            queries += [("port \(p)", "tcp.port == \(p) or udp.port == \(p)"), ("tcp dst port \(p)", "tcp.dstport == \(p)"),
                        ("udp src port \(p)", "udp.srcport == \(p)"), ("not port \(p)", "not (tcp.port == \(p) or udp.port == \(p))")]
        }
        var nonEmpty = 0
        for (q, filter) in queries {
            let got = try segment.vigie(q), expected = try tshark.select(filter)
            #expect(got == expected, "\(file): '\(q)' selects \(got.count), tshark '\(filter)' \(expected.count); only Vigie: \(Array(Set(got).subtracting(expected)).sorted().prefix(8)), only tshark: \(Array(Set(expected).subtracting(got)).sorted().prefix(8))")
            #expect(try segment.vigie(q, indexed: false) == got, "\(file): '\(q)': scanning disagrees with the index")
            if !expected.isEmpty { nonEmpty += 1 }
        }
        print("link type \(segment.pcap.linkType) \(file): \(queries.count) queries, \(nonEmpty) non-empty, against tshark")
        #expect(nonEmpty >= 5, "\(file): most comparisons must select something")
    }
}
