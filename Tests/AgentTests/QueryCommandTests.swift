import Foundation
import Testing
import VigieTestSupport

@testable import Agent
import SystemIO

/// `vigie-agent query` and `reindex` on stores written by `ingest`, checked against tcpdump.
@Suite("vigie-agent query and reindex", .enabled(if: Support.hasCorpus, "corpus ../shared/corpus is absent: skipped"))
struct QueryCommandTests {
    /// tcpdump's view of the packets matching `expr` in each segment (Ethernet), seeing through VLAN
    /// tags: separate runs per tag depth, since libpcap's `vlan` keyword shifts offsets for the rest of
    /// a filter.
    func tcpdumpReference(_ segments: [String], _ expr: String, dir: String) throws -> [String] {
        var out: [String] = []
        for (i, seg) in segments.enumerated() {
            var merged: [String] = []
            // E evaluated at the depth where the packet's network layer is (docs/query-language.md):
            // Dn = "no VLAN TPID at depth n", so a negation does not match the tag itself.
            let tpid = { (o: Int) in "(ether[\(o):2] = 0x8100 or ether[\(o):2] = 0x88a8 or ether[\(o):2] = 0x9100)" }
            let depths = ["not \(tpid(12)) and (\(expr))", "vlan and not \(tpid(16)) and (\(expr))", "vlan and vlan and (\(expr))"]
            for (j, f) in depths.enumerated() {
                let file = dir + "/ref-\(i)-\(j).pcap"
                let r = try Support.run(["tcpdump", "-r", seg, "-w", file, f])
                #expect(r.status == 0, "tcpdump \(f): \(r.stderr)")
                merged += try Support.tsharkFingerprint([file])
            }
            // Packets matched at several depths count once; keep file order (time order here).
            var seen = Set<String>()
            let all = try Support.tsharkFingerprint([seg])
            let wanted = Set(merged)
            for l in all where wanted.contains(l) && seen.insert(l).inserted { out.append(l) }
        }
        return out
    }

    @Test("extracted packets equal tcpdump's selection", arguments: [
        "tcp port 80", "host 192.168.1.104", "udp", "not tcp", "src net 10.0.0.0/8 or dst port 53", "vlan 10", "icmp",
    ])
    func matchesTcpdump(expr: String) throws {
        let dir = Support.temporaryDirectory("query")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = ["zeek_http_methods.pcap", "zeek_http-vlan-0.pcap", "zeek_smtp.pcap", "pcpp_DnsPackets.pcap"].map(Support.corpusPath)
        let ing = try Support.run([Support.agentBinary, "ingest", "--store", dir + "/s", "--no-progress"] + files)
        #expect(ing.status == 0)
        let out = dir + "/out.pcap"
        let q = try Support.run([Support.agentBinary, "query", "--store", dir + "/s", "-w", out, expr])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stderr.contains("indexed") && !q.stderr.contains(" 0 indexed"))
        let got = try Support.tsharkFingerprint([out])
        let expected = try tcpdumpReference(Support.segmentPaths(dir + "/s"), expr, dir: dir)
        // The query output is merged by time across segments; compare as multisets of packets.
        #expect(got.sorted() == expected.sorted(), "\(expr): \(got.count) vs tcpdump \(expected.count)")
        let c = try Support.run([Support.agentBinary, "query", "--store", dir + "/s", "--count", expr])
        #expect(c.stdout.hasPrefix("\(expected.count) packets"))
    }

    @Test("reindex builds missing indexes (new fields after the fact); answers stay the same")
    func reindex() throws {
        let dir = Support.temporaryDirectory("reindex")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = Support.corpusPath("suri_tls-subjectaltname.pcap")
        #expect(try Support.run([Support.agentBinary, "ingest", "--store", dir + "/s", "--no-index", "--no-progress", input]).status == 0)
        let layout = StoreLayout(root: dir + "/s")
        #expect(FileSystem.list(layout.indexDirectory).isEmpty)
        let sniList = try Support.run(["tshark", "-n", "-r", input, "-Y", "tls.handshake.extensions_server_name", "-T", "fields",
                                       "-e", "tls.handshake.extensions_server_name"]).stdout.split(separator: "\n").map(String.init)
        let sni = try #require(sniList.first)
        let before = try Support.run([Support.agentBinary, "query", "--store", dir + "/s", "--count", "tls.sni \(sni)"])
        #expect(before.stderr.contains(" 0 indexed"))
        let r = try Support.run([Support.agentBinary, "reindex", "--store", dir + "/s", "--fields", "default,tls.sni", "--progress"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("100%"))
        #expect(FileSystem.list(layout.indexDirectory).count == (try SegmentCatalog(readingFrom: layout)).segments().count)
        let after = try Support.run([Support.agentBinary, "query", "--store", dir + "/s", "--count", "tls.sni \(sni)"])
        #expect(!after.stderr.contains(" 0 indexed") && after.stderr.contains(" 0 scanned"))
        #expect(after.stdout == before.stdout)
        #expect(!after.stdout.hasPrefix("0 packets"))
        // A second run has nothing left to do.
        let again = try Support.run([Support.agentBinary, "reindex", "--store", dir + "/s", "--fields", "tls.sni"])
        #expect(again.stdout.hasPrefix("reindexed 0 of 0"))
    }

    @Test("the index built during ingest is byte for byte the one reindex builds from the stored segments",
          arguments: ["default", "all"])
    func ingestIndexEqualsReindex(fields: String) throws {
        let dir = Support.temporaryDirectory("ingest-vs-reindex")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Every corpus file in one store, in small segments: many segments, link-type changes, pcapng
        // times outside 32-bit seconds (stored truncated: the index must follow the file).
        let ing = try Support.run([Support.agentBinary, "ingest", "--store", dir + "/s", "--no-progress", "--no-analytics",
                                   "--segment-size", "200000", "--index-fields", fields] + Support.corpusFiles.map(Support.corpusPath))
        // 2: some corpus files are corrupt on purpose; their good records are stored all the same.
        #expect(ing.status == 0 || ing.status == 2, "\(ing.stderr)")
        let layout = StoreLayout(root: dir + "/s")
        let names = FileSystem.list(layout.indexDirectory).filter { $0.hasSuffix(".idx") }.sorted()
        #expect(names.count == (try SegmentCatalog(readingFrom: layout)).segments().count && names.count > 50)
        var atIngest: [String: Data] = [:]
        for name in names { atIngest[name] = try Data(contentsOf: URL(fileURLWithPath: layout.indexDirectory + "/" + name)) }
        let r = try Support.run([Support.agentBinary, "reindex", "--store", dir + "/s", "--fields", fields, "--force", "--no-progress"])
        #expect(r.status == 0, "\(r.stderr)")
        for name in names {
            let rebuilt = try Data(contentsOf: URL(fileURLWithPath: layout.indexDirectory + "/" + name))
            #expect(rebuilt == atIngest[name], "\(name)")
        }
    }

    @Test("bad queries point at the offending position")
    func badQuery() throws {
        let dir = Support.temporaryDirectory("badq")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Support.run([Support.agentBinary, "ingest", "--store", dir, "--no-progress", Support.corpusPath("zeek_tcp_syn.pcap")]).status == 0)
        for (expr, offset) in [("host 10.0.0.300", 5), ("port 80 and", 11), ("tcp and bogus.field x", 8), ("net 10.0.0.0/40", 4)] {
            let r = try Support.run([Support.agentBinary, "query", "--store", dir, "--count", expr])
            #expect(r.status == 1)
            #expect(r.stderr.contains("offset \(offset)"), "\(expr): \(r.stderr)")
        }
        let inverted = try Support.run([Support.agentBinary, "query", "--store", dir, "--count", "--from", "1h ago", "--to", "2h ago", "tcp"])
        #expect(inverted.status == 1 && inverted.stderr.contains("--from"))
    }
}
