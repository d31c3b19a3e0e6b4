import Foundation
import Indexer
import Testing

/// The acceptance check: over every capture of the shared corpus, for a matrix of network/transport
/// queries, the packets Vigie extracts from a segment are exactly those tcpdump selects from it.
@Suite("Corpus agrees with tcpdump")
struct CorpusAgreementTests {
    /// Link types whose network layer the indexer locates (the others index no network fields).
    /// FDDI (10), 802.11 (105) and radiotap (127) go through the decoder (NetworkFields.swift).
    /// NFLOG (239), IPoIB (242) and the Broadcom tag (281) do too, but libpcap cannot filter them:
    /// LinkTypeQueryTests compares their index with tshark instead.
    static let indexedLinkTypes: Set<UInt32> = [0, 1, 10, 12, 14, 101, 105, 108, 113, 127, 228, 229, 276]

    @Test("network/transport matrix over the corpus")
    func corpus() throws {
        guard let corpus = TestEnvironment.corpus else {
            print("SKIP: corpus not found at ../shared/corpus")
            return
        }
        guard TestEnvironment.tcpdump != nil else {
            print("SKIP: tcpdump not installed")
            return
        }
        let dir = TempDirectory("vigie-corpus")
        defer { dir.cleanup() }
        let files = (try FileManager.default.contentsOfDirectory(atPath: corpus))
            .filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
        var segments = 0, queries = 0, nonEmpty = 0, packets = 0, encapsulated = 0
        var excluded: [String] = []
        for file in files {
            for (i, pcap) in TestPcap.segments(ofCaptureAt: corpus + "/" + file).enumerated() {
                guard Self.indexedLinkTypes.contains(pcap.linkType) else {
                    excluded.append("\(file) (link type \(pcap.linkType))")
                    continue
                }
                let segment = try SegmentUnderTest(pcap, in: dir, name: "\(file)-\(i)")
                let (q, n) = try QueryMatrix.check(segment, label: "\(file)#\(i)", scanToo: pcap.records.count < 5000)
                segments += 1
                queries += q
                nonEmpty += n
                packets += pcap.records.count
                encapsulated += Encapsulated.indexes(of: pcap).count
            }
        }
        print("corpus: \(segments) segments, \(packets) packets, \(queries) query comparisons (\(nonEmpty) non-empty); \(encapsulated) encapsulated packets compared with tshark instead (TunnelQueryTests); excluded: \(excluded.joined(separator: ", "))")
        #expect(segments >= 45)
        #expect(packets >= 100_000)
        #expect(nonEmpty >= 800)
    }

    /// tcpdump's literal `E or (vlan and (E)) or (vlan and vlan and (E))` accumulates the VLAN
    /// offsets (libpcap 1.10): its third branch looks at a third tag, so it misses packets with
    /// exactly two tags. Vigie sees through two tags; the difference is exactly the QinQ packets.
    @Test("the literal tcpdump expansion misses double-tagged packets, and only those")
    func literalExpansion() throws {
        guard let corpus = TestEnvironment.corpus, TestEnvironment.tcpdump != nil else {
            print("SKIP: corpus or tcpdump missing")
            return
        }
        let dir = TempDirectory("vigie-literal")
        defer { dir.cleanup() }
        var doubleTagged = 0
        for file in ["pcpp_many-protocols.pcap", "tcpdump_802.1ad_QinQ.pcap", "pcpp_one_http_stream_rst.pcap", "zeek_http-vlan-0.pcap"] {
            for pcap in TestPcap.segments(ofCaptureAt: corpus + "/" + file) {
                let segment = try SegmentUnderTest(pcap, in: dir, name: file)
                let sample = TrafficSample(pcap)
                // More than two tags: Vigie reads the innermost packet (docs/query-language.md, Tunnels).
                let encapsulated = Encapsulated.indexes(of: pcap)
                for e in ["host \(sample.topIPv4 ?? "10.0.0.1")", "tcp", "arp", "ip or ip6"] {
                    let literal = try segment.tcpdump(["\(e) or (vlan and (\(e))) or (vlan and vlan and (\(e)))"]) ?? []
                    let vigie = try segment.vigie(e)
                    let onlyLiteral = Set(literal).subtracting(vigie).subtracting(encapsulated)
                    #expect(onlyLiteral.isEmpty, "\(file) \(e): literal expansion selects \(onlyLiteral.sorted()) that Vigie does not")
                    for i in Set(vigie).subtracting(literal).subtracting(encapsulated) {
                        let d = pcap.records[i].data
                        let tags = [12, 16, 20].prefix { o in d.count >= o + 2 && [0x8100, 0x88A8, 0x9100].contains(UInt16(d[o]) << 8 | UInt16(d[o + 1])) }.count
                        #expect(tags == 2, "\(file) \(e): packet \(i) differs but has \(tags) tags")
                        doubleTagged += 1
                    }
                }
            }
        }
        #expect(doubleTagged > 0, "the corpus has double-tagged packets that show the difference")
    }
}
