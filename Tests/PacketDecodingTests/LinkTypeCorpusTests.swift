import Foundation
import PacketDecoding
import Testing
import VigieTestSupport

/// The corpus captures of the link types added for issue 17, packet by packet against an
/// independent dissection: tshark's for NFLOG and IPoIB; for the Broadcom tag (which tshark 4.0
/// cannot read) tshark's on an untagged Ethernet copy, and tcpdump's printout of the original.
/// Compared per packet: what ``TsharkComparison`` compares (addresses, protocol, ports, ICMP type,
/// VLANs), the IP length, and for the Broadcom tag the MACs; every packet must decode cleanly.
@Suite(
    "New link types against tshark and tcpdump",
    .enabled(if: Corpus.isAvailable, "shared corpus (<package>/../shared/corpus) or tshark not found: skipping link-type corpus comparison")
)
struct LinkTypeCorpusTests {
    @Test(arguments: [("zeek_nflog-http.pcap", LinkType.nflog, 13), ("tcpdump_ipoib.pcap", LinkType.ipoib, 30)])
    func agreesWithTshark(file: String, linkType: LinkType, packets: Int) throws {
        let path = try #require(Corpus.directory) + "/" + file
        let capture = try #require(TestCaptureReader(contentsOf: path), "\(file): unreadable")
        #expect(capture.packets.count == packets && capture.packets.allSatisfy { $0.linkType == linkType })
        let view = try TsharkFields(file: path, tshark: try #require(Corpus.tshark), fields: TsharkFields.fieldsWithLengths)
        let result = Self.compare(capture.packets.map(\.bytes), as: linkType, with: view, macs: false)
        print("link types \(file): \(result.summary)")
        #expect(result.mismatches.isEmpty, "\(file): \(result.mismatches.count) mismatches, first: \(result.mismatches.prefix(8).joined(separator: " | "))")
    }

    @Test func broadcomTagAgreesWithTsharkOnTheUntaggedCopy() throws {
        let path = try #require(Corpus.directory) + "/tcpdump_brcm-tag.pcap"
        let capture = try #require(TestCaptureReader(contentsOf: path), "tcpdump_brcm-tag.pcap: unreadable")
        #expect(capture.packets.count == 23 && capture.packets.allSatisfy { $0.linkType == .broadcomTag })
        let directory = Support.temporaryDirectory("brcm-tag")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let copy = try BroadcomTagCapture.untaggedCopy(ofCaptureAt: path, in: directory)
        let view = try TsharkFields(file: copy, tshark: try #require(Corpus.tshark), fields: TsharkFields.fieldsWithLengths)
        let result = Self.compare(capture.packets.map(\.bytes), as: .broadcomTag, with: view, macs: true)
        print("link types tcpdump_brcm-tag.pcap (untagged copy): \(result.summary)")
        #expect(result.mismatches.isEmpty, "\(result.mismatches.count) mismatches, first: \(result.mismatches.prefix(8).joined(separator: " | "))")
    }

    /// tcpdump reads link type 281 itself: its one-line decode of each packet of the original file
    /// must name our addresses and ports (`A.p > B.q` for UDP/TCP, `A > B` otherwise, `ARP` lines for ARP).
    @Test(.enabled(if: Support.hasTool("tcpdump"), "tcpdump not installed: skipped"))
    func broadcomTagAgreesWithTcpdump() throws {
        let path = try #require(Corpus.directory) + "/tcpdump_brcm-tag.pcap"
        let capture = try #require(TestCaptureReader(contentsOf: path))
        let run = try Support.run(["tcpdump", "-n", "-r", path])
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == capture.packets.count, "tcpdump printed \(lines.count) lines: \(run.stderr)")
        var ipPackets = 0
        for (index, (frame, line)) in zip(capture.packets, lines).enumerated() {
            let p = decode(frame.bytes, .broadcomTag)
            #expect(p.anomaly == .none, "frame \(index + 1): \(p.anomaly)")
            switch p.network {
            case .ipv4, .ipv6:
                ipPackets += 1
                let hasPorts = p.transport == .tcp || p.transport == .udp
                let flow = hasPorts ? "\(p.src).\(p.srcPort) > \(p.dst).\(p.dstPort):" : "\(p.src) > \(p.dst):"
                #expect(line.contains(" IP\(p.network == .ipv6 ? "6" : "") \(flow)"), "frame \(index + 1): ours \(flow), tcpdump \(line)")
            case .arp:
                #expect(line.contains(" ARP, "), "frame \(index + 1): ours ARP, tcpdump \(line)")
            default:
                Issue.record("frame \(index + 1): network \(p.network), tcpdump \(line)")
            }
        }
        #expect(ipPackets > 0)
    }

    struct Result {
        var comparison = TsharkComparison()
        var lengthsCompared = 0
        var macsCompared = 0
        var mismatches: [String] = []
        var summary: String {
            "\(comparison.compared) packets, \(comparison.addressesCompared) address pairs, \(comparison.portsCompared) port pairs, "
                + "\(lengthsCompared) IP lengths, \(macsCompared) MAC pairs, \(mismatches.count) mismatches"
        }
    }

    /// Decodes every frame as `linkType` and compares it with tshark's frame of the same number.
    static func compare(_ frames: [[UInt8]], as linkType: LinkType, with view: TsharkFields, macs: Bool) -> Result {
        var result = Result()
        if frames.count != view.frames.count {
            result.mismatches.append("we read \(frames.count) frames, tshark \(view.frames.count)")
        }
        var packet = DecodedPacket()
        for (index, (bytes, fields)) in zip(frames, view.frames).enumerated() {
            bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: linkType, into: &packet) }
            result.comparison.compare(frame: index + 1, linkType: linkType, packet, fields)
            var problems: [String] = []
            if packet.anomaly != .none { problems.append("anomaly \(packet.anomaly)") }
            // The IP length: IPv4's total length, or IPv6's payload length plus its 40-byte header.
            let ourLength = packet.payloadOffset + packet.payloadWireLength - packet.networkOffset
            let theirLength: Int? = switch packet.network {
            case .ipv4: fields["ip.len"]?.first.flatMap { Int($0) }
            case .ipv6: fields["ipv6.plen"]?.first.flatMap { Int($0) }.map { $0 + 40 }
            default: nil
            }
            if packet.network == .ipv4 || packet.network == .ipv6 {
                result.lengthsCompared += 1
                if theirLength != ourLength { problems.append("IP length ours \(ourLength) tshark \(theirLength.map(String.init) ?? "-")") }
            }
            if macs {
                result.macsCompared += 1
                let src = fields["eth.src"]?.first ?? "-", dst = fields["eth.dst"]?.first ?? "-"
                if !packet.hasEthernet || "\(packet.srcMAC)" != src || "\(packet.dstMAC)" != dst {
                    problems.append("MACs ours \(packet.srcMAC)->\(packet.dstMAC) tshark \(src)->\(dst)")
                }
            }
            if !problems.isEmpty { result.mismatches.append("frame \(index + 1): " + problems.joined(separator: "; ")) }
        }
        result.mismatches += result.comparison.mismatches
        return result
    }
}
