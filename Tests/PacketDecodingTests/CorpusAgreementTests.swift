import Foundation
import PacketDecoding
import Testing
import VigieTestSupport

/// Decodes every packet of every capture in `../shared/corpus` and compares it with tshark
/// (see ``TsharkComparison`` for what is compared and excluded). Skipped, with a message, when the
/// corpus or tshark is absent.
@Suite(
    "Agreement with tshark over the shared corpus",
    .enabled(if: Corpus.isAvailable, "shared corpus (<package>/../shared/corpus) or tshark not found: skipping tshark agreement")
)
struct CorpusAgreementTests {
    /// Files where tshark and a standard reader disagree on where packets are, so no per-packet
    /// comparison is meaningful.
    static let notComparable: [String: String] = [
        "suri_bug-6875-01_fuzz.pcap":
            "fuzzed file: its second record length is bogus, so tshark's wiretap guesses a patched-libpcap "
            + "layout (24-byte record headers) and its frame 1 starts 8 bytes later than in the standard layout",
    ]

    @Test(arguments: Corpus.files)
    func agreesWithTshark(file: String) throws {
        let directory = try #require(Corpus.directory)
        let tshark = try #require(Corpus.tshark)
        let path = directory + "/" + file
        if let reason = Self.notComparable[file] {
            print("tshark agreement \(file): not compared: \(reason)")
            return
        }
        let view = try TsharkFields(file: path, tshark: tshark)
        guard let capture = TestCaptureReader(contentsOf: path) else {
            // Not a capture file at all (e.g. a text file renamed .pcap): tshark must agree.
            #expect(view.frames.isEmpty, "\(file): our reader rejected it but tshark read \(view.frames.count) frames")
            return
        }
        if view.frames.isEmpty && !capture.packets.isEmpty && capture.packets.allSatisfy({ $0.linkType == .broadcomTag }) {
            // tshark 4.0 cannot read link type 281; LinkTypeCorpusTests compares these packets with
            // tshark on an untagged Ethernet copy and with tcpdump.
            print("tshark agreement \(file): tshark cannot read link type 281; compared by LinkTypeCorpusTests")
            return
        }
        if view.frames.isEmpty && !capture.packets.isEmpty && capture.packets.allSatisfy({ !$0.linkType.isSupported }) {
            // A link type tshark cannot read and we do not decode either.
            for frame in capture.packets {
                #expect(PacketDecoder.decode(UnsafeRawBufferPointer(start: nil, count: 0), linkType: frame.linkType).anomaly == .unsupportedLink)
            }
            print("tshark agreement \(file): tshark cannot read its link type; all \(capture.packets.count) packets reported unsupportedLink")
            return
        }
        // Damaged files: both stop at the same record, so the packet counts must match.
        #expect(capture.packets.count == view.frames.count, "\(file): we read \(capture.packets.count) packets, tshark \(view.frames.count)")

        var comparison = TsharkComparison()
        var packet = DecodedPacket()
        for (index, (frame, fields)) in zip(capture.packets, view.frames).enumerated() {
            frame.bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: frame.linkType, into: &packet) }
            comparison.compare(frame: index + 1, linkType: frame.linkType, packet, fields)
        }
        print("tshark agreement \(file): \(comparison.compared) packets, \(comparison.addressesCompared) address pairs, "
            + "\(comparison.portsCompared) port pairs, \(comparison.quotesCompared) ICMP quotes, "
            + "\(comparison.unsupportedLinkPackets) on unsupported links, \(comparison.enteredTunnelPackets) in tunnels walked, \(comparison.tunnelPackets) in tunnels not walked, "
            + "\(comparison.mismatches.count) mismatches")
        #expect(comparison.mismatches.isEmpty, "\(file): \(comparison.mismatches.count) mismatches, first: \(comparison.mismatches.prefix(8).joined(separator: " | "))")
    }
}
