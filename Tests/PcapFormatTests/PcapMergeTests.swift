import Foundation
import PcapFormat
import Testing
import VigieTestSupport

/// The drill-down's pcap merge against Wireshark's `mergecap` (chronological merge) on real captures.
@Suite("Pcap merge", .enabled(if: Support.hasCorpus && Support.hasTool("mergecap") && Support.hasTool("tshark"),
                             "needs the corpus, mergecap and tshark"))
struct PcapMergeTests {
    @Test("same packets, in time order, as mergecap")
    func agreesWithMergecap() throws {
        let names = ["pcpp_example.pcap", "zeek_tcp_syn.pcap", "zeek_http_methods.pcap"]
        let inputs = try names.map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: Support.corpusPath($0)))) }
        let merged = try PcapMerge.merge(inputs)
        let dir = Support.temporaryDirectory("merge")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ours = dir + "/ours.pcap", theirs = dir + "/theirs.pcap"
        try Data(merged).write(to: URL(fileURLWithPath: ours))
        let r = try Support.run(["mergecap", "-F", "pcap", "-w", theirs] + names.map(Support.corpusPath))
        #expect(r.status == 0, "\(r.stderr)")
        let a = try Support.tsharkFingerprint([ours]), b = try Support.tsharkFingerprint([theirs])
        #expect(a.count == b.count && a.count > 100)
        #expect(a.sorted() == b.sorted(), "the same packets")
        let times = a.compactMap { Double($0.split(separator: "\t").first ?? "") }
        #expect(times == times.sorted(), "chronological")
    }

    @Test("different link types are refused; a torn input keeps its whole records")
    func badInputs() throws {
        let ether = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Support.corpusPath("zeek_tcp_syn.pcap"))))
        let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Support.corpusPath("pcpp_raw_ip.pcap"))))
        #expect(throws: PcapFormatError.self) { try PcapMerge.merge([ether, raw]) }
        let many = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Support.corpusPath("pcpp_example.pcap"))))
        let torn = Array(many.dropLast(7))
        let merged = try PcapMerge.merge([torn])
        #expect(merged.count < many.count && merged.count > many.count / 2, "all records but the torn last one")
    }
}
