import Foundation
import PacketDecoding
import Testing
import VigieTestSupport

/// The tunnel captures `Tests/TestSupport/Scripts/tunnel_captures.py` writes (Scapy), generated once
/// per test process into a temporary directory, and tshark's view of them.
enum TunnelCaptures {
    /// One capture per encapsulation, each carrying the same inner story (220 packets).
    static let names = TunnelCaptureFiles.story
    /// Packets of the inner story: 20 answered connections of 9 packets, 20 refused ones of 2.
    static let storyPackets = 20 * 9 + 20 * 2

    /// Where the captures were written, or why they could not be (then the tests are skipped).
    static let generated: Result<String, Skip> = TunnelCaptureFiles.directory.mapError { Skip($0.description) }

    struct Skip: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Whether the captures exist and tshark is there to compare with.
    static var isAvailable: Bool {
        if case .success = generated, Corpus.tshark != nil { return true }
        return false
    }

    /// Why the tests are skipped (for `.enabled(if:)`).
    static var skipReason: Comment {
        if case .failure(let skip) = generated { return Comment(rawValue: skip.description) }
        return "tshark not found: tunnel capture tests skipped"
    }

    static func path(_ name: String) throws -> String {
        try generated.get() + "/" + name + ".pcap"
    }

    /// Decodes every packet of a capture.
    static func decodeAll(_ path: String) throws -> [DecodedPacket] {
        guard let capture = TestCaptureReader(contentsOf: path) else { throw Skip("\(path): not a capture") }
        return capture.packets.map { frame in frame.bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: frame.linkType) } }
    }
}


/// tshark's `-T fields` output for one occurrence of each field (`-E occurrence=f` outermost,
/// `l` innermost).
struct TsharkOccurrence {
    static let fields = [
        "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
        "vxlan.vni", "geneve.vni", "gre.key", "erspan.spanid", "mpls.label", "pppoe.session_id", "gtp.teid",
        "vlan.id", "ieee8021ad.id",
    ]

    /// The heuristics the comparison depends on, named and set explicitly rather than left to
    /// tshark's defaults (which are the same today):
    /// - VXLAN and Geneve by their IANA UDP destination ports, GTP-U on 2152 with the G-PDU payload
    ///   recognised as IPv4/IPv6 by its version nibble ("TPDU Heuristic"), as our decoder does;
    /// - no IP reassembly, so every frame is dissected on its own like our decoder does.
    /// MPLS: an MPLS payload whose first nibble is neither 4 nor 6 goes, by tshark's default (there
    /// is no preference for it), to its PW Ethernet heuristic (`pwethheuristic`): a plain Ethernet
    /// frame if the destination and source MACs both have a known vendor OUI, else a control word
    /// then Ethernet. Our decoder asks whether the EtherType is plausible instead; the captures use
    /// vendor MACs (Intel, VMware) so both pick the same frame, and behind a control word the bytes
    /// tshark would read as a source MAC are no vendor's.
    static let preferences = [
        "-d", "udp.port==4789,vxlan", "-d", "udp.port==6081,geneve",
        "-o", "gtp.v1u_port:2152", "-o", "gtp.dissect_tpdu_as:TPDU Heuristic",
        "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
        "-o", "udp.try_heuristic_first:FALSE",
    ]

    /// Frames in file order, each mapping a field to its value ("" when absent).
    private(set) var frames: [[String: String]] = []

    init(file: String, occurrence: Character) throws {
        frames = try TsharkInnermostLayer.frames(file: file, options: Self.preferences, fields: Self.fields, occurrence: occurrence)
            .map { frame in Dictionary(uniqueKeysWithValues: Self.fields.map { ($0, frame[$0]) }) }
    }

    /// A tshark number: decimal, or hexadecimal with `0x` (gre.key, gtp.teid, pppoe.session_id, geneve.vni).
    static func number(_ text: String?) -> UInt32? {
        guard let text, !text.isEmpty else { return nil }
        if text.hasPrefix("0x") { return UInt32(text.dropFirst(2), radix: 16) }
        return UInt32(text)
    }
}
