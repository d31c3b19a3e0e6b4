import Foundation
import PcapFormat
import PcapKit
import Testing
import VigieTestSupport

/// PcapKit against tcpdump: the file reader (libpcap or Vigie's own readers behind one API) and BPF
/// programs compiled for the file's link type select exactly the packets tcpdump selects.
@Suite("PcapKit: capture files and BPF against tcpdump",
       .enabled(if: Support.hasCorpus && Support.hasTool("tcpdump"), "needs the corpus and tcpdump"))
struct BPFFilterTests {
    static let files = ["pcpp_example.pcap", "zeek_http_methods.pcap", "pcpp_many-protocols.pcap", "cs_http_espn.pcapng"]
    static let filters = ["", "tcp port 80", "udp", "ip6", "tcp[tcpflags] & tcp-syn != 0", "not arp and len > 100"]

    /// Packets of `file` that `filter` selects, read and filtered by PcapKit.
    static func pcapKitCount(_ file: String, _ filter: String) throws -> Int {
        let reader = try CaptureFileReader(path: file)
        var compiled: BPFFilter?
        var generation = -1
        var count = 0
        while true {
            switch try reader.next() {
            case .packet(let header, let bytes):
                if !filter.isEmpty && reader.formatGeneration != generation {
                    compiled = try BPFFilter(expression: filter, linkType: reader.format.linkType)
                    generation = reader.formatGeneration
                }
                if compiled?.matches(header, bytes) ?? true { count += 1 }
            case .timeout: continue
            case .end: return count
            }
        }
    }

    /// Packets tcpdump writes for `filter` (counted by reading its output back).
    static func tcpdumpCount(_ file: String, _ filter: String, in dir: String) throws -> Int {
        let out = dir + "/tcpdump-\(UUID().uuidString.prefix(8)).pcap"
        let r = try Support.run(["tcpdump", "-r", file, "-w", out] + (filter.isEmpty ? [] : [filter]))
        #expect(r.status == 0, "tcpdump failed on \(file) '\(filter)'")
        return try pcapKitCount(out, "")
    }

    @Test("the same packets as tcpdump for every filter", arguments: files)
    func sameSelectionAsTcpdump(_ name: String) throws {
        let dir = Support.temporaryDirectory("pcapkit")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = Support.corpusPath(name)
        for filter in Self.filters {
            let ours = try Self.pcapKitCount(path, filter)
            let theirs = try Self.tcpdumpCount(path, filter, in: dir)
            #expect(ours == theirs, "\(name) '\(filter)': PcapKit \(ours), tcpdump \(theirs)")
        }
        // The filters select different sets: a broken filter that passes everything would not agree.
        #expect(try Self.pcapKitCount(path, "udp") < Self.pcapKitCount(path, ""))
    }

    @Test("a missing file, a file that is not a capture and a bad expression are clear errors")
    func errors() throws {
        #expect(throws: PcapError.self) { _ = try CaptureFileReader(path: "/nonexistent/capture.pcap") }
        let dir = Support.temporaryDirectory("pcapkit-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = dir + "/notes.txt"
        try "not a capture file, just text long enough to hold a header\n".write(toFile: text, atomically: true, encoding: .utf8)
        #expect(throws: PcapError.self) { _ = try CaptureFileReader(path: text) }
        do {
            _ = try BPFFilter(expression: "tcp port", linkType: 1)
            Issue.record("an incomplete expression compiled")
        } catch {
            #expect(error.code == .badFilter, "\(error)")
        }
    }
}
